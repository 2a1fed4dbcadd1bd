// Sessions, the request core with its retry policy, and sending. Sync, rooms and TURN live in their own files.
#include "mxcall/matrix/client.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "client_internal.hpp"
#include "encryption.hpp"
#include "http.hpp"
#include "json_limits.hpp"

namespace mxcall::matrix {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

std::string random_tag() {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::random_device device;
  std::string tag;
  for (int i = 0; i < 6; ++i) tag += kAlphabet[device() % (sizeof(kAlphabet) - 1)];
  return tag;
}

}  // namespace

std::optional<Error> check_homeserver_url(const ClientConfig& config) {
  std::string_view url = config.homeserver;
  auto lower_starts = [&](std::string_view prefix) {
    if (url.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(url[i])) != prefix[i]) return false;
    }
    return true;
  };
  if (lower_starts("https://")) return std::nullopt;
  if (!lower_starts("http://")) {
    return Error{ErrorCode::bad_request, "the homeserver address '" + detail::one_line(url, 200) +
                                             "' is not an http(s) URL; give its client API base URL, e.g. "
                                             "https://matrix.example.org"};
  }
  // The host: after the scheme, up to the port, path or end; an IPv6 literal is in brackets.
  std::string_view rest = url.substr(7);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
  std::string_view host = rest.starts_with('[') ? rest.substr(0, rest.find(']') + 1) : rest.substr(0, rest.find(':'));
  std::string lower(host);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  in_addr v4{};
  // Numeric only: "127.example.org" is a name anyone can point anywhere.
  bool loopback = lower == "localhost" || lower == "[::1]" ||
                  (inet_pton(AF_INET, lower.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127);
  if (loopback || config.allow_insecure_http) return std::nullopt;
  return Error{ErrorCode::tls_failure, "refusing to talk to " + detail::one_line(url, 200) +
                                           " over plain http: the password and access token would cross the network "
                                           "in clear text; use https://, or pass --insecure-http "
                                           "(ClientConfig::allow_insecure_http) for a server on a network you trust"};
}

Client::Client(ClientConfig config) : state_(std::make_unique<State>(std::move(config))) {
  while (!state_->config.homeserver.empty() && state_->config.homeserver.back() == '/')
    state_->config.homeserver.pop_back();
  state_->session.homeserver = state_->config.homeserver;
  state_->instance_tag = random_tag();
  state_->encryption.max_json_depth = state_->config.limits.max_json_depth;
}

Client::~Client() = default;

const ClientConfig& Client::config() const { return state_->config; }

std::string Client::escape(std::string_view segment) { return detail::HttpHandle::escape(segment); }

void Client::cancel() {
  state_->cancel = true;
  std::lock_guard lock(state_->sleep_mutex);
  state_->sleep_cv.notify_all();
}

void Client::reset_cancel() { state_->cancel = false; }

ClientStats Client::stats() const {
  return ClientStats{state_->n_requests.load(), state_->n_rate_limited.load(), state_->n_server_errors.load(),
                     state_->n_transport_errors.load()};
}

void Client::wake() {
  std::lock_guard lock(state_->sleep_mutex);
  state_->sleep_cv.notify_all();
}

Session Client::session() const {
  std::lock_guard lock(state_->mutex);
  return state_->session;
}

void Client::set_session(Session session) {
  std::lock_guard lock(state_->mutex);
  state_->session = std::move(session);
  state_->reserved_txn = state_->session.txn_counter;
}

Status Client::save() const {
  std::lock_guard lock(state_->mutex);
  return save_locked();
}

Status Client::save_locked() const {
  if (state_->config.session_path.empty() || !state_->session.logged_in()) return Ok{};
  Session copy = state_->session;
  copy.txn_counter = std::max(state_->reserved_txn, state_->session.txn_counter);
  return save_session(copy, state_->config.session_path);
}

// ---------------------------------------------------------------------------------------------------------- requests

Result<RawResponse> Client::api(const char* method, const std::string& path, std::string_view body,
                                bool authenticated) {
  return request(method, path, body, authenticated, milliseconds{0}, state_->config.retry);
}

Result<RawResponse> Client::request(const char* method, const std::string& path, std::string_view body, bool auth,
                                    milliseconds extra_timeout, const RetryPolicy& policy,
                                    const std::atomic<bool>* cancel_too) {
  if (auto refused = check_homeserver_url(state_->config)) return *refused;
  detail::HttpRequest req;
  req.method = method;
  req.max_body_bytes = state_->config.limits.max_body_bytes;
  req.url = state_->config.homeserver + path;
  req.body = std::string(body);
  req.timeout = state_->config.request_timeout + extra_timeout;
  req.connect_timeout = state_->config.connect_timeout;
  req.verify_tls = state_->config.verify_tls;
  req.ca_file = state_->config.ca_file;
  req.user_agent = state_->config.user_agent;
  if (auth) {
    std::lock_guard lock(state_->mutex);
    if (!state_->session.logged_in()) {
      return Error{ErrorCode::not_logged_in, "no session: log in (or resume a saved session) first"};
    }
    req.bearer = state_->session.access_token;
  }

  auto cancelled = [&] { return state_->cancel.load() || (cancel_too != nullptr && cancel_too->load()); };
  const auto start = Clock::now();
  const auto deadline = start + policy.max_total;
  std::minstd_rand jitter(std::random_device{}());
  milliseconds backoff = policy.initial_backoff;
  std::optional<Error> last;
  int attempt = 0;
  while (attempt < std::max(1, policy.max_attempts)) {
    ++attempt;
    if (cancelled()) return detail::cancelled_error();
    auto handle = state_->take_handle();
    auto outcome = handle->perform(req, &state_->cancel, cancel_too);
    state_->give_handle(std::move(handle));
    ++state_->n_requests;

    milliseconds delay{0};
    if (auto* failure = std::get_if<detail::TransportError>(&outcome)) {
      ++state_->n_transport_errors;
      last = detail::transport_error(*failure, state_->config.homeserver);
      bool retry = failure->kind == detail::TransportFailure::lost ||
                   failure->kind == detail::TransportFailure::timeout ||
                   (failure->kind == detail::TransportFailure::unreachable &&
                    (state_->answered || policy.retry_unreachable_before_first_answer));
      if (!retry) return *last;
      delay = backoff;
      backoff = std::min(backoff * 2, policy.max_backoff);
    } else {
      auto& response = std::get<detail::HttpResponse>(outcome);
      state_->answered = true;
      if (response.status >= 200 && response.status < 300)
        return RawResponse{response.status, std::move(response.body)};
      last = detail::http_error(response, state_->config.homeserver, path);
      if (response.status == 429) {
        ++state_->n_rate_limited;
        auto body_json =
            detail::nests_deeper_than(response.body, 16) ? json() : json::parse(response.body, nullptr, false);
        long wait_ms = -1;
        if (body_json.is_object() && body_json.contains("retry_after_ms") && body_json["retry_after_ms"].is_number()) {
          // Clamped as a double first: get<long>() of 1e300 is undefined behaviour. A day is far past any budget.
          wait_ms = static_cast<long>(
              detail::clamp_millis(body_json["retry_after_ms"].get<double>(), milliseconds{86400000}).count());
        } else if (response.retry_after_ms) {
          wait_ms = *response.retry_after_ms;
        }
        delay = wait_ms >= 0 ? milliseconds{wait_ms} : backoff;
        if (wait_ms < 0) backoff = std::min(backoff * 2, policy.max_backoff);
        if (delay > policy.max_retry_after) break;
      } else if (response.status >= 500) {
        ++state_->n_server_errors;
        delay = backoff;
        backoff = std::min(backoff * 2, policy.max_backoff);
      } else {
        return *last;
      }
    }
    if (attempt >= policy.max_attempts) break;
    // Jitter only shortens 5xx/lost back-offs (never a server-given 429 wait) so clients that failed together spread.
    if (last->code != ErrorCode::rate_limited && delay.count() > 1) {
      delay -= milliseconds{static_cast<long>(jitter() % static_cast<unsigned long>(delay.count() / 4 + 1))};
    }
    if (Clock::now() + delay > deadline) break;
    std::unique_lock lock(state_->sleep_mutex);
    state_->sleep_cv.wait_for(lock, delay, cancelled);
    if (cancelled()) return detail::cancelled_error();
  }
  auto elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  return detail::gave_up(*last, attempt, elapsed);
}

// ---------------------------------------------------------------------------------------------------------- sessions

Result<Session> Client::finish_login(const RawResponse& response) {
  auto j = json::parse(response.body, nullptr, false);
  if (!j.is_object() || !j.contains("access_token") || !j["access_token"].is_string() || !j.contains("user_id")) {
    return detail::bad_response(state_->config.homeserver, "/login", "no access_token/user_id");
  }
  std::lock_guard lock(state_->mutex);
  state_->session = Session{};
  state_->session.homeserver = state_->config.homeserver;
  state_->session.user_id = j["user_id"].get<std::string>();
  state_->session.device_id = j.value("device_id", "");
  state_->session.access_token = j["access_token"].get<std::string>();
  state_->reserved_txn = 0;
  if (auto saved = save_locked(); !saved) return saved.error();
  return state_->session;
}

Error Client::login_error(const Error& error, const std::string& user) {
  if (error.http_status != 403 || error.errcode != "M_FORBIDDEN") return error;
  // Synapse (like most servers) answers the same M_FORBIDDEN for an unknown user and a wrong password, so as not to
  // confirm who exists. Public look-ups tell them apart where the server allows them: the profile of a full user id
  // (its server name is known only then), or the registration availability check for a bare localpart.
  RetryPolicy once = state_->config.retry;
  once.max_attempts = 1;
  std::optional<bool> exists;
  if (!user.empty() && user[0] == '@' && user.find(':') != std::string::npos) {
    auto profile = request("GET", "/_matrix/client/v3/profile/" + escape(user), {}, false, milliseconds{0}, once);
    if (profile)
      exists = true;
    else if (profile.error().http_status == 404)
      exists = false;
  } else {
    auto available = request("GET", "/_matrix/client/v3/register/available?username=" + escape(user), {}, false,
                             milliseconds{0}, once);
    if (available)
      exists = false;
    else if (available.error().errcode == "M_USER_IN_USE")
      exists = true;
  }
  if (exists == false) {
    return Error{ErrorCode::unknown_user,
                 "login refused: there is no user " + user + " on " + state_->config.homeserver +
                     "; check the user name (and the homeserver), or register the user first",
                 403, error.errcode, error.server_text};
  }
  std::string what = exists == true
                         ? "wrong password for " + user
                         : "wrong password for " + user + ", or no such user (the server does not say which)";
  return Error{ErrorCode::wrong_password,
               "login refused: " + what + " on " + state_->config.homeserver + " (" + error.errcode +
                   "); check the user name and password, or log in with a token",
               403, error.errcode, error.server_text};
}

Result<Session> Client::login_password(const std::string& user, const std::string& password,
                                       const std::string& device_id) {
  json body = {{"type", "m.login.password"},
               {"identifier", {{"type", "m.id.user"}, {"user", user}}},
               {"password", password},
               {"initial_device_display_name", state_->config.device_display_name}};
  if (!device_id.empty()) body["device_id"] = device_id;
  auto response =
      request("POST", "/_matrix/client/v3/login", body.dump(), false, milliseconds{0}, state_->config.retry);
  if (!response) return login_error(response.error(), user);
  return finish_login(*response);
}

Result<Session> Client::login_token(const std::string& login_token, const std::string& device_id) {
  json body = {{"type", "m.login.token"},
               {"token", login_token},
               {"initial_device_display_name", state_->config.device_display_name}};
  if (!device_id.empty()) body["device_id"] = device_id;
  auto response =
      request("POST", "/_matrix/client/v3/login", body.dump(), false, milliseconds{0}, state_->config.retry);
  if (!response) {
    Error e = response.error();
    if (e.http_status == 403) {
      e.code = ErrorCode::forbidden;
      e.message = "login refused: the login token was not accepted by " + state_->config.homeserver + " (" + e.errcode +
                  "); login tokens are short-lived and single-use: get a new one";
    }
    return e;
  }
  return finish_login(*response);
}

Result<Session> Client::use_access_token(const std::string& access_token) {
  {
    std::lock_guard lock(state_->mutex);
    state_->session = Session{};
    state_->session.homeserver = state_->config.homeserver;
    state_->session.access_token = access_token;
    state_->reserved_txn = 0;
  }
  auto me = whoami();
  if (!me) return me.error();
  std::lock_guard lock(state_->mutex);
  state_->session.user_id = me->user_id;
  state_->session.device_id = me->device_id;
  if (auto saved = save_locked(); !saved) return saved.error();
  return state_->session;
}

Result<Session> Client::resume() {
  if (state_->config.session_path.empty()) {
    return Error{ErrorCode::io_error, "no session file configured; set ClientConfig::session_path or log in"};
  }
  auto loaded = load_session(state_->config.session_path);
  if (!loaded) return loaded.error();
  if (loaded->homeserver != state_->config.homeserver) {
    return Error{ErrorCode::io_error, "the session file " + state_->config.session_path + " is for " +
                                          loaded->homeserver + ", not " + state_->config.homeserver +
                                          "; use that homeserver or log in again"};
  }
  set_session(*loaded);
  auto me = whoami();
  if (!me) return me.error();
  return session();
}

Result<WhoAmI> Client::whoami() {
  auto response = api("GET", "/_matrix/client/v3/account/whoami");
  if (!response) return response.error();
  auto j = json::parse(response->body, nullptr, false);
  if (!j.is_object() || !j.contains("user_id") || !j["user_id"].is_string()) {
    return detail::bad_response(state_->config.homeserver, "/account/whoami", "no user_id");
  }
  return WhoAmI{j["user_id"].get<std::string>(), j.value("device_id", "")};
}

Status Client::logout() {
  auto response = api("POST", "/_matrix/client/v3/logout", "{}");
  if (!response) return response.error();
  std::lock_guard lock(state_->mutex);
  state_->session.access_token.clear();
  if (!state_->config.session_path.empty()) std::remove(state_->config.session_path.c_str());
  return Ok{};
}

// ---------------------------------------------------------------------------------------------------------- sending

std::string Client::next_txn_id() {
  std::lock_guard lock(state_->mutex);
  if (state_->session.txn_counter >= state_->reserved_txn) {
    // Reserve a block in the file before using it, so a crash can never hand out a number twice.
    state_->reserved_txn = state_->session.txn_counter + 256;
    (void)save_locked();
  }
  return "mx" + std::to_string(state_->session.txn_counter++) + "." + state_->instance_tag;
}

Result<std::string> Client::send_event(const std::string& room_id, const std::string& type,
                                       std::string_view content_json, const std::string& txn_id,
                                       const std::atomic<bool>* cancel) {
  std::string send_type = type;
  std::string content(content_json);
  std::shared_ptr<CryptoHook> hook;
  bool encrypted = false;
  {
    std::lock_guard lock(state_->mutex);
    hook = state_->hook;
    encrypted = state_->encrypted_rooms.count(room_id) != 0;
  }
  if (hook && !encrypted) {
    auto needed = needs_encryption(room_id, cancel);
    if (!needed) return needed.error();
    encrypted = *needed;
  }
  if (encrypted && hook) {
    // Never plain text into an encrypted room: the event is sent encrypted or not at all.
    auto sealed = encrypt_for_room(*hook, room_id, type, content_json, cancel);
    if (!sealed) return sealed.error();
    send_type = "m.room.encrypted";
    content = std::move(*sealed);
  }
  auto response = request(
      "PUT", "/_matrix/client/v3/rooms/" + escape(room_id) + "/send/" + escape(send_type) + "/" + escape(txn_id),
      content, true, milliseconds{0}, state_->config.retry, cancel);
  if (!response) return response.error();
  auto j = json::parse(response->body, nullptr, false);
  if (!j.is_object() || !j.contains("event_id") || !j["event_id"].is_string()) {
    return detail::bad_response(state_->config.homeserver, "/send", "no event_id");
  }
  return j["event_id"].get<std::string>();
}

void Client::set_crypto_hook(std::shared_ptr<CryptoHook> hook) {
  std::lock_guard lock(state_->mutex);
  state_->hook = std::move(hook);
}

bool Client::encrypts() const {
  std::lock_guard lock(state_->mutex);
  return state_->hook != nullptr;
}

bool Client::room_encrypted(const std::string& room_id) const {
  std::lock_guard lock(state_->mutex);
  return state_->encrypted_rooms.count(room_id) != 0;
}

Result<std::string> Client::turn_server_json() {
  auto response = api("GET", "/_matrix/client/v3/voip/turnServer");
  if (!response) return response.error();
  return std::move(response->body);
}

}  // namespace mxcall::matrix
