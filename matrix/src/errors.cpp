#include <nlohmann/json.hpp>

#include "client_internal.hpp"
#include "json_limits.hpp"

namespace mxcall::matrix {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::wrong_password: return "wrong_password";
    case ErrorCode::unknown_user: return "unknown_user";
    case ErrorCode::unreachable: return "unreachable";
    case ErrorCode::tls_failure: return "tls_failure";
    case ErrorCode::not_a_homeserver: return "not_a_homeserver";
    case ErrorCode::token_revoked: return "token_revoked";
    case ErrorCode::rate_limited: return "rate_limited";
    case ErrorCode::server_error: return "server_error";
    case ErrorCode::connection_lost: return "connection_lost";
    case ErrorCode::timeout: return "timeout";
    case ErrorCode::forbidden: return "forbidden";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::bad_request: return "bad_request";
    case ErrorCode::bad_response: return "bad_response";
    case ErrorCode::cancelled: return "cancelled";
    case ErrorCode::io_error: return "io_error";
    case ErrorCode::not_logged_in: return "not_logged_in";
    case ErrorCode::crypto_store: return "crypto_store";
  }
  return "unknown";
}

namespace detail {
namespace {

std::string strip_query(const std::string& path) { return path.substr(0, path.find('?')); }

}  // namespace

Error cancelled_error() {
  return Error{ErrorCode::cancelled, "the request was cancelled (the client is shutting down)"};
}

Error transport_error(const TransportError& failure, const std::string& homeserver) {
  switch (failure.kind) {
    case TransportFailure::unreachable:
      return Error{ErrorCode::unreachable, "cannot reach the homeserver at " + homeserver + " (" + failure.detail +
                                               "); check the address and that the server is running"};
    case TransportFailure::tls:
      return Error{ErrorCode::tls_failure, "TLS failure talking to " + homeserver + " (" + failure.detail +
                                               "); check the server's certificate, or give a CA file that signs it"};
    case TransportFailure::timeout:
      return Error{ErrorCode::timeout, "the homeserver at " + homeserver + " did not answer in time (" +
                                           failure.detail + "); check the network or try again later"};
    case TransportFailure::cancelled: return cancelled_error();
    case TransportFailure::lost:
      return Error{ErrorCode::connection_lost, "the connection to " + homeserver + " broke mid-request (" +
                                                   failure.detail + "); check the network or the server"};
    case TransportFailure::too_large:
      return Error{ErrorCode::bad_response, "the homeserver at " + homeserver + " sent a reply too large to read (" +
                                                failure.detail +
                                                ", ClientConfig::limits.max_body_bytes); it was cut off and "
                                                "refused: check the server, or lower the sync filter's timeline limit"};
    case TransportFailure::other: break;
  }
  return Error{ErrorCode::unreachable,
               "cannot talk to " + homeserver + " (" + failure.detail + "); check the homeserver address"};
}

Error http_error(const HttpResponse& response, const std::string& homeserver, const std::string& path) {
  Error e;
  e.http_status = response.status;
  auto j =
      nests_deeper_than(response.body, 16) ? nlohmann::json() : nlohmann::json::parse(response.body, nullptr, false);
  bool matrix_error = j.is_object() && j.contains("errcode") && j["errcode"].is_string();
  if (matrix_error) {
    // Both go into one-line messages and logs: no control characters, bounded length.
    e.errcode = one_line(j["errcode"].get<std::string>(), 64);
    if (j.contains("error") && j["error"].is_string()) e.server_text = one_line(j["error"].get<std::string>());
  }
  std::string where = homeserver + strip_query(path);
  std::string said = " (HTTP " + std::to_string(response.status) +
                     (matrix_error ? ", " + e.errcode + (e.server_text.empty() ? "" : ": " + e.server_text) : "") + ")";
  if (response.status == 429) {
    e.code = ErrorCode::rate_limited;
    e.message = "the homeserver kept rate-limiting " + where + said +
                "; send less often or ask the admin to raise "
                "the limit";
  } else if (response.status >= 500) {
    e.code = ErrorCode::server_error;
    e.message = "the homeserver failed on " + where + said + "; try again later or tell its admin";
  } else if (!matrix_error) {
    e.code = ErrorCode::not_a_homeserver;
    e.message = homeserver + " answered, but not as a Matrix homeserver" + said + " (content type '" +
                one_line(response.content_type, 100) + "'); check the address: it must be the client API base URL";
  } else if (response.status == 401 || e.errcode == "M_UNKNOWN_TOKEN" || e.errcode == "M_MISSING_TOKEN") {
    e.code = ErrorCode::token_revoked;
    e.message = "the homeserver " + homeserver + " no longer accepts this session's access token" + said +
                "; it was logged out or expired: log in again";
  } else if (response.status == 403) {
    e.code = ErrorCode::forbidden;
    e.message = "the homeserver refused " + where + said + "; check that this user may do that (membership, power)";
  } else if (response.status == 404) {
    e.code = ErrorCode::not_found;
    e.message = "not found: " + where + said;
  } else {
    e.code = ErrorCode::bad_request;
    e.message = "the homeserver rejected " + where + said;
  }
  return e;
}

Error bad_response(const std::string& homeserver, const std::string& path, const std::string& what) {
  return Error{ErrorCode::not_a_homeserver, homeserver + " answered " + path +
                                                " with something that is not a Matrix "
                                                "reply (" +
                                                what + "); check the homeserver address"};
}

Error gave_up(Error last, int attempts, std::chrono::milliseconds elapsed) {
  last.message += " [gave up after " + std::to_string(attempts) + (attempts == 1 ? " attempt" : " attempts") + " in " +
                  std::to_string(elapsed.count()) + " ms]";
  return last;
}

}  // namespace detail
}  // namespace mxcall::matrix
