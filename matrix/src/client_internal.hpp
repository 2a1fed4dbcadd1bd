// Error construction shared by the client's source files.
#pragma once

#include <chrono>
#include <string>

#include "http.hpp"
#include "mxcall/matrix/error.hpp"

namespace mxcall::matrix::detail {

Error cancelled_error();
Error transport_error(const TransportError& failure, const std::string& homeserver);
Error http_error(const HttpResponse& response, const std::string& homeserver, const std::string& path);
Error bad_response(const std::string& homeserver, const std::string& path, const std::string& what);
// The last error of a retried request, with how long and how often it was tried.
Error gave_up(Error last, int attempts, std::chrono::milliseconds elapsed);

}  // namespace mxcall::matrix::detail
