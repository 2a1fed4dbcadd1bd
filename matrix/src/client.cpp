// Sessions, the request core with its retry policy, and sending. Sync, rooms and TURN live in their own files.
#include "mxcall/matrix/client.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "client_internal.hpp"
#include "encryption.hpp"
#include "http.hpp"

namespace mxcall::matrix {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct Client::Pool {
  std::mutex mutex;
  std::vector<std::unique_ptr<detail::HttpHandle>> idle;
  std::unique_ptr<detail::HttpHandle> take() {
    std::lock_guard lock(mutex);
    if (idle.empty()) return std::make_unique<detail::HttpHandle>();
    auto handle = std::move(idle.back());
    idle.pop_back();
    return handle;
  }
  void give(std::unique_ptr<detail::HttpHandle> handle) {
    std::lock_guard lock(mutex);
    idle.push_back(std::move(handle));
  }
};

namespace {

std::string random_tag() {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::random_device device;
  std::string tag;
  for (int i = 0; i < 6; ++i) tag += kAlphabet[device() % (sizeof(kAlphabet) - 1)];
  return tag;
}

}  // namespace

Client::Client(ClientConfig config)
    : config_(std::move(config)),
      pool_(std::make_unique<Pool>()),
      encryption_(std::make_unique<detail::EncryptionState>()) {
  while (!config_.homeserver.empty() && config_.homeserver.back() == '/') config_.homeserver.pop_back();
  session_.homeserver = config_.homeserver;
  instance_tag_ = random_tag();
}

Client::~Client() = default;

std::string Client::escape(std::string_view segment) { return detail::HttpHandle::escape(segment); }

void Client::cancel() {
  cancel_ = true;
  std::lock_guard lock(sleep_mutex_);
  sleep_cv_.notify_all();
}

void Client::reset_cancel() { cancel_ = false; }

ClientStats Client::stats() const {
  return ClientStats{n_requests_.load(), n_rate_limited_.load(), n_server_errors_.load(), n_transport_errors_.load()};
}

void Client::wake() {
  std::lock_guard lock(sleep_mutex_);
  sleep_cv_.notify_all();
}

Session Client::session() const {
  std::lock_guard lock(mutex_);
  return session_;
}

void Client::set_session(Session session) {
  std::lock_guard lock(mutex_);
  session_ = std::move(session);
  reserved_txn_ = session_.txn_counter;
}

Status Client::save() const {
  std::lock_guard lock(mutex_);
  return save_locked();
}

Status Client::save_locked() const {
  if (config_.session_path.empty() || !session_.logged_in()) return Ok{};
  Session copy = session_;
  copy.txn_counter = std::max(reserved_txn_, session_.txn_counter);
  return save_session(copy, config_.session_path);
}

// ---------------------------------------------------------------------------------------------------------- requests

Result<RawResponse> Client::api(const char* method, const std::string& path, std::string_view body,
                                bool authenticated) {
  return request(method, path, body, authenticated, milliseconds{0}, config_.retry);
}

Result<RawResponse> Client::request(const char* method, const std::string& path, std::string_view body, bool auth,
                                    milliseconds extra_timeout, const RetryPolicy& policy,
                                    const std::atomic<bool>* cancel_too) {
  detail::HttpRequest req;
  req.method = method;
  req.url = config_.homeserver + path;
  req.body = std::string(body);
  req.timeout = config_.request_timeout + extra_timeout;
  req.connect_timeout = config_.connect_timeout;
  req.verify_tls = config_.verify_tls;
  req.ca_file = config_.ca_file;
  req.user_agent = config_.user_agent;
  if (auth) {
    std::lock_guard lock(mutex_);
    if (!session_.logged_in()) {
      return Error{ErrorCode::not_logged_in, "no session: log in (or resume a saved session) first"};
    }
    req.bearer = session_.access_token;
  }

  auto cancelled = [&] { return cancel_.load() || (cancel_too != nullptr && cancel_too->load()); };
  const auto start = Clock::now();
  const auto deadline = start + policy.max_total;
  std::minstd_rand jitter(std::random_device{}());
  milliseconds backoff = policy.initial_backoff;
  std::optional<Error> last;
  int attempt = 0;
  while (attempt < std::max(1, policy.max_attempts)) {
    ++attempt;
    if (cancelled()) return detail::cancelled_error();
    auto handle = pool_->take();
    auto outcome = handle->perform(req, &cancel_, cancel_too);
    pool_->give(std::move(handle));
    ++n_requests_;

    milliseconds delay{0};
    if (auto* failure = std::get_if<detail::TransportError>(&outcome)) {
      ++n_transport_errors_;
      last = detail::transport_error(*failure, config_.homeserver);
      bool retry = failure->kind == detail::TransportFailure::lost ||
                   failure->kind == detail::TransportFailure::timeout ||
                   (failure->kind == detail::TransportFailure::unreachable &&
                    (answered_ || policy.retry_unreachable_before_first_answer));
      if (!retry) return *last;
      delay = backoff;
      backoff = std::min(backoff * 2, policy.max_backoff);
    } else {
      auto& response = std::get<detail::HttpResponse>(outcome);
      answered_ = true;
      if (response.status >= 200 && response.status < 300)
        return RawResponse{response.status, std::move(response.body)};
      last = detail::http_error(response, config_.homeserver, path);
      if (response.status == 429) {
        ++n_rate_limited_;
        auto body_json = json::parse(response.body, nullptr, false);
        long wait_ms = -1;
        if (body_json.is_object() && body_json.contains("retry_after_ms") && body_json["retry_after_ms"].is_number()) {
          wait_ms = body_json["retry_after_ms"].get<long>();
        } else if (response.retry_after_ms) {
          wait_ms = *response.retry_after_ms;
        }
        delay = wait_ms >= 0 ? milliseconds{wait_ms} : backoff;
        if (wait_ms < 0) backoff = std::min(backoff * 2, policy.max_backoff);
        if (delay > policy.max_retry_after) break;
      } else if (response.status >= 500) {
        ++n_server_errors_;
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
    std::unique_lock lock(sleep_mutex_);
    sleep_cv_.wait_for(lock, delay, cancelled);
    if (cancelled()) return detail::cancelled_error();
  }
  auto elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  return detail::gave_up(*last, attempt, elapsed);
}

// ---------------------------------------------------------------------------------------------------------- sessions

Result<Session> Client::finish_login(const RawResponse& response) {
  auto j = json::parse(response.body, nullptr, false);
  if (!j.is_object() || !j.contains("access_token") || !j["access_token"].is_string() || !j.contains("user_id")) {
    return detail::bad_response(config_.homeserver, "/login", "no access_token/user_id");
  }
  std::lock_guard lock(mutex_);
  session_ = Session{};
  session_.homeserver = config_.homeserver;
  session_.user_id = j["user_id"].get<std::string>();
  session_.device_id = j.value("device_id", "");
  session_.access_token = j["access_token"].get<std::string>();
  reserved_txn_ = 0;
  if (auto saved = save_locked(); !saved) return saved.error();
  return session_;
}

Error Client::login_error(const Error& error, const std::string& user) {
  if (error.http_status != 403 || error.errcode != "M_FORBIDDEN") return error;
  // Synapse (like most servers) answers the same M_FORBIDDEN for an unknown user and a wrong password, so as not to
  // confirm who exists. Public look-ups tell them apart where the server allows them: the profile of a full user id
  // (its server name is known only then), or the registration availability check for a bare localpart.
  RetryPolicy once = config_.retry;
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
                 "login refused: there is no user " + user + " on " + config_.homeserver +
                     "; check the user name (and the homeserver), or register the user first",
                 403, error.errcode, error.server_text};
  }
  std::string what = exists == true
                         ? "wrong password for " + user
                         : "wrong password for " + user + ", or no such user (the server does not say which)";
  return Error{ErrorCode::wrong_password,
               "login refused: " + what + " on " + config_.homeserver + " (" + error.errcode +
                   "); check the user name and password, or log in with a token",
               403, error.errcode, error.server_text};
}

Result<Session> Client::login_password(const std::string& user, const std::string& password,
                                       const std::string& device_id) {
  json body = {{"type", "m.login.password"},
               {"identifier", {{"type", "m.id.user"}, {"user", user}}},
               {"password", password},
               {"initial_device_display_name", config_.device_display_name}};
  if (!device_id.empty()) body["device_id"] = device_id;
  auto response = request("POST", "/_matrix/client/v3/login", body.dump(), false, milliseconds{0}, config_.retry);
  if (!response) return login_error(response.error(), user);
  return finish_login(*response);
}

Result<Session> Client::login_token(const std::string& login_token, const std::string& device_id) {
  json body = {
      {"type", "m.login.token"}, {"token", login_token}, {"initial_device_display_name", config_.device_display_name}};
  if (!device_id.empty()) body["device_id"] = device_id;
  auto response = request("POST", "/_matrix/client/v3/login", body.dump(), false, milliseconds{0}, config_.retry);
  if (!response) {
    Error e = response.error();
    if (e.http_status == 403) {
      e.code = ErrorCode::forbidden;
      e.message = "login refused: the login token was not accepted by " + config_.homeserver + " (" + e.errcode +
                  "); login tokens are short-lived and single-use: get a new one";
    }
    return e;
  }
  return finish_login(*response);
}

Result<Session> Client::use_access_token(const std::string& access_token) {
  {
    std::lock_guard lock(mutex_);
    session_ = Session{};
    session_.homeserver = config_.homeserver;
    session_.access_token = access_token;
    reserved_txn_ = 0;
  }
  auto me = whoami();
  if (!me) return me.error();
  std::lock_guard lock(mutex_);
  session_.user_id = me->user_id;
  session_.device_id = me->device_id;
  if (auto saved = save_locked(); !saved) return saved.error();
  return session_;
}

Result<Session> Client::resume() {
  if (config_.session_path.empty()) {
    return Error{ErrorCode::io_error, "no session file configured; set ClientConfig::session_path or log in"};
  }
  auto loaded = load_session(config_.session_path);
  if (!loaded) return loaded.error();
  if (loaded->homeserver != config_.homeserver) {
    return Error{ErrorCode::io_error, "the session file " + config_.session_path + " is for " + loaded->homeserver +
                                          ", not " + config_.homeserver + "; use that homeserver or log in again"};
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
    return detail::bad_response(config_.homeserver, "/account/whoami", "no user_id");
  }
  return WhoAmI{j["user_id"].get<std::string>(), j.value("device_id", "")};
}

Status Client::logout() {
  auto response = api("POST", "/_matrix/client/v3/logout", "{}");
  if (!response) return response.error();
  std::lock_guard lock(mutex_);
  session_.access_token.clear();
  if (!config_.session_path.empty()) std::remove(config_.session_path.c_str());
  return Ok{};
}

// ---------------------------------------------------------------------------------------------------------- sending

std::string Client::next_txn_id() {
  std::lock_guard lock(mutex_);
  if (session_.txn_counter >= reserved_txn_) {
    // Reserve a block in the file before using it, so a crash can never hand out a number twice.
    reserved_txn_ = session_.txn_counter + 256;
    (void)save_locked();
  }
  return "mx" + std::to_string(session_.txn_counter++) + "." + instance_tag_;
}

Result<std::string> Client::send_event(const std::string& room_id, const std::string& type,
                                       std::string_view content_json, const std::string& txn_id,
                                       const std::atomic<bool>* cancel) {
  std::string send_type = type;
  std::string content(content_json);
  std::shared_ptr<CryptoHook> hook;
  bool encrypted = false;
  {
    std::lock_guard lock(mutex_);
    hook = hook_;
    encrypted = encrypted_rooms_.count(room_id) != 0;
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
      content, true, milliseconds{0}, config_.retry, cancel);
  if (!response) return response.error();
  auto j = json::parse(response->body, nullptr, false);
  if (!j.is_object() || !j.contains("event_id") || !j["event_id"].is_string()) {
    return detail::bad_response(config_.homeserver, "/send", "no event_id");
  }
  return j["event_id"].get<std::string>();
}

void Client::set_crypto_hook(std::shared_ptr<CryptoHook> hook) {
  std::lock_guard lock(mutex_);
  hook_ = std::move(hook);
}

bool Client::room_encrypted(const std::string& room_id) const {
  std::lock_guard lock(mutex_);
  return encrypted_rooms_.count(room_id) != 0;
}

Result<std::string> Client::turn_server_json() {
  auto response = api("GET", "/_matrix/client/v3/voip/turnServer");
  if (!response) return response.error();
  return std::move(response->body);
}

}  // namespace mxcall::matrix
