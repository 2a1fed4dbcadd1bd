// What can go wrong when talking to a homeserver, as a code a program can switch on and a one-line message a person
// can act on ("what happened; what to do").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace mxcall::matrix {

enum class ErrorCode : unsigned char {
  wrong_password,    // the homeserver refused the password of a user that exists
  unknown_user,      // no such user on that homeserver
  unreachable,       // nothing answered at that address (refused, no route, DNS, connect timeout)
  tls_failure,       // the TLS handshake or the certificate check failed
  not_a_homeserver,  // something answered, but not the Matrix client-server API
  token_revoked,     // the access token is unknown to the server (logged out elsewhere, expired, deleted)
  rate_limited,      // 429 and the retry budget ran out
  server_error,      // 5xx and the retry budget ran out
  connection_lost,   // the connection broke mid-request and the retry budget ran out
  timeout,           // the request (or the whole retry budget) took too long
  forbidden,         // 403 other than a login failure (not in the room, guest TURN, ...)
  not_found,         // 404 with a Matrix errcode
  bad_request,       // 4xx the client should not retry (the errcode says more)
  bad_response,      // a 2xx whose body is not what the spec says
  cancelled,         // Client::cancel() was called
  io_error,          // the local session file could not be read or written
  not_logged_in,     // an authenticated call without a session
  crypto_store,      // the end-to-end encryption store did not open (missing, wrong passphrase, another device's)
};

std::string_view to_string(ErrorCode code);

struct Error {
  Error() = default;
  Error(ErrorCode code_, std::string message_, int http_status_ = 0, std::string errcode_ = {},
        std::string server_text_ = {})
      : code(code_),
        message(std::move(message_)),
        http_status(http_status_),
        errcode(std::move(errcode_)),
        server_text(std::move(server_text_)) {}

  ErrorCode code = ErrorCode::bad_response;
  std::string message;      // one line: what happened and what to do
  int http_status = 0;      // 0 when no HTTP status was received
  std::string errcode;      // the Matrix errcode (M_FORBIDDEN, ...) when the server sent one
  std::string server_text;  // the server's own `error` text, kept for logs
};

// A value or an Error. Small on purpose: the project is C++20, so std::expected is not there yet.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor): reads like expected<T>
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

struct Ok {};
using Status = Result<Ok>;

}  // namespace mxcall::matrix
