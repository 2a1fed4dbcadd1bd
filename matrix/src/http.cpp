#include "http.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <mutex>
#include <optional>
#include <string_view>

namespace mxcall::matrix::detail {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct BodySink {
  std::string* body;
  std::size_t max_bytes;
  bool too_large = false;
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  if (sink->body->size() + size * count > sink->max_bytes) {
    sink->too_large = true;
    return 0;  // curl ends the transfer (CURLE_WRITE_ERROR): nothing more of it is read or kept
  }
  sink->body->append(data, size * count);
  return size * count;
}

// Retry-After in delta seconds, clamped before it is multiplied (a 20-digit value would overflow).
std::optional<long> retry_after_header(std::string_view value) {
  constexpr long kMaxSeconds = 86400;
  if (value.empty()) return std::nullopt;
  long seconds = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    seconds = std::min(kMaxSeconds, seconds * 10 + (c - '0'));
  }
  return seconds * 1000;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* response = static_cast<HttpResponse*>(user);
  std::string_view line(data, size * count);
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.remove_suffix(1);
    if (name == "retry-after") {
      // Only the delta-seconds form: an HTTP date would need the wall clock, and Matrix servers send retry_after_ms.
      response->retry_after_ms = retry_after_header(value);
    } else if (name == "content-type") {
      response->content_type = std::string(value);
    }
  }
  return size * count;
}

struct CancelFlags {
  const std::atomic<bool>* first;
  const std::atomic<bool>* second;
};

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* flags = static_cast<const CancelFlags*>(user);
  bool cancelled =
      (flags->first != nullptr && flags->first->load()) || (flags->second != nullptr && flags->second->load());
  return cancelled ? 1 : 0;
}

TransportFailure classify(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT: return TransportFailure::unreachable;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_USE_SSL_FAILED: return TransportFailure::tls;
    case CURLE_OPERATION_TIMEDOUT: return TransportFailure::timeout;
    case CURLE_ABORTED_BY_CALLBACK: return TransportFailure::cancelled;
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM: return TransportFailure::lost;
    default: return TransportFailure::other;
  }
}

}  // namespace

HttpHandle::HttpHandle() {
  global_init();
  curl_ = curl_easy_init();
}

HttpHandle::~HttpHandle() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

std::string HttpHandle::escape(std::string_view text) {
  global_init();
  char* escaped = curl_easy_escape(nullptr, text.data(), static_cast<int>(text.size()));
  std::string out = escaped != nullptr ? escaped : "";
  curl_free(escaped);
  return out;
}

std::variant<HttpResponse, TransportError> HttpHandle::perform(const HttpRequest& request,
                                                               const std::atomic<bool>* cancel,
                                                               const std::atomic<bool>* cancel_too) {
  auto* curl = static_cast<CURL*>(curl_);
  if (curl == nullptr) return TransportError{TransportFailure::other, "libcurl could not create a handle"};
  curl_easy_reset(curl);
  HttpResponse response;
  char error_buffer[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method);
  bool has_body = std::strcmp(request.method, "GET") != 0 && std::strcmp(request.method, "DELETE") != 0;
  if (has_body) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, std::strcmp(request.method, "GET") == 0 ? nullptr : request.method);
  }
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Accept: application/json");
  if (has_body) headers = curl_slist_append(headers, "Content-Type: application/json");
  std::string auth;
  if (!request.bearer.empty()) {
    auth = "Authorization: Bearer " + request.bearer;
    headers = curl_slist_append(headers, auth.c_str());
  }
  // libcurl would otherwise wait for "100 Continue" on larger bodies, a needless round trip.
  headers = curl_slist_append(headers, "Expect:");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  BodySink body_sink{&response.body, request.max_body_bytes};
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body_sink);
  // A declared Content-Length over the limit is refused before any of the body is read.
  curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(request.max_body_bytes));
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  CancelFlags flags{cancel, cancel_too};
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &flags);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  // A proxy from the environment must never carry a loopback homeserver's traffic (nor see its tokens).
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "127.0.0.1,localhost,::1");
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, request.verify_tls ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, request.verify_tls ? 2L : 0L);
  if (!request.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, request.ca_file.c_str());
  if (!request.user_agent.empty()) curl_easy_setopt(curl, CURLOPT_USERAGENT, request.user_agent.c_str());

  CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  if (code != CURLE_OK) {
    std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
    auto kind = classify(code);
    if (body_sink.too_large || code == CURLE_FILESIZE_EXCEEDED) {
      return TransportError{TransportFailure::too_large,
                            "the reply is larger than " + std::to_string(request.max_body_bytes) + " bytes"};
    }
    // A server that does not speak TLS often just waits for more of the ClientHello: curl reports a timeout, but
    // the cause is TLS, and retrying will not help.
    if (kind == TransportFailure::timeout && detail.find("SSL connection timeout") != std::string::npos) {
      kind = TransportFailure::tls;
    }
    return TransportError{kind, detail};
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  return response;
}

}  // namespace mxcall::matrix::detail
