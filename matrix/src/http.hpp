// One libcurl easy handle, used by one thread at a time. Internal to the matrix layer.
#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "mxcall/matrix/error.hpp"

namespace mxcall::matrix::detail {

struct HttpRequest {
  const char* method = "GET";
  std::string url;
  std::string body;  // sent only when non-empty or the method is not GET
  std::string bearer;
  std::chrono::milliseconds timeout{30000};
  std::chrono::milliseconds connect_timeout{10000};
  bool verify_tls = true;
  std::string ca_file;
  std::string user_agent;
  std::size_t max_body_bytes = 20 * 1024 * 1024;  // a longer reply is cut off: TransportFailure::too_large
};

struct HttpResponse {
  int status = 0;
  std::string body;
  std::string content_type;
  std::optional<long> retry_after_ms;  // from a Retry-After header, when present (clamped to a day)
};

// Why no HTTP status came back, reduced to what decides retrying and the message.
enum class TransportFailure : unsigned char { unreachable, tls, lost, timeout, cancelled, too_large, other };

struct TransportError {
  TransportFailure kind = TransportFailure::other;
  std::string detail;  // curl's own words
};

class HttpHandle {
 public:
  HttpHandle();
  ~HttpHandle();
  HttpHandle(const HttpHandle&) = delete;
  HttpHandle& operator=(const HttpHandle&) = delete;

  // Blocks until the transfer ends; either flag (each may be null) aborts it from another thread within ~100 ms.
  std::variant<HttpResponse, TransportError> perform(const HttpRequest& request, const std::atomic<bool>* cancel,
                                                     const std::atomic<bool>* cancel_too = nullptr);

  static std::string escape(std::string_view text);

 private:
  void* curl_;
};

}  // namespace mxcall::matrix::detail
