// The public Phone: each method hops to the loop thread (Runtime::Impl::post) and acts on the router binder there.
#include <random>

#include "encryption_setup.hpp"
#include "homeserver_transport.hpp"
#include "in_process_room.hpp"
#include "loop.hpp"
#include "phone_core.hpp"
#include "phone_impl.hpp"

namespace mxcall {

namespace {

std::unique_ptr<Phone::Impl> make_impl(Runtime& runtime, protocol::LocalParty me, const PhoneConfig& config,
                                       std::unique_ptr<runtime::Transport> transport) {
  auto impl =
      std::unique_ptr<Phone::Impl>(new Phone::Impl{runtime.impl(), nullptr, me.user_id, me.party_id, std::nullopt});
  impl->core = std::make_shared<runtime::PhoneCore>(runtime.impl(), std::move(me), config, std::move(transport));
  impl->core->start();
  return impl;
}

}  // namespace

namespace runtime {

Result<std::unique_ptr<matrix::Client>> log_in(const PhoneConfig& config) {
  matrix::ClientConfig client_config;
  client_config.homeserver = config.homeserver;
  client_config.allow_insecure_http = config.allow_insecure_http;
  client_config.verify_tls = config.verify_tls;
  client_config.session_path = config.session_path;
  client_config.retry = config.retry;
  client_config.undecryptable_wait = config.encryption.undecryptable_wait;
  auto client = std::make_unique<matrix::Client>(client_config);
  Result<matrix::Session> session = [&]() -> Result<matrix::Session> {
    if (!config.access_token.empty()) return client->use_access_token(config.access_token);
    if (!config.user.empty()) return client->login_password(config.user, config.password);
    if (!config.session_path.empty()) return client->resume();
    return Error{ErrorCode::not_logged_in,
                 "no way to log in: give an access token, a user and password, or a saved session file"};
  }();
  if (!session) return session.error();
  return client;
}

}  // namespace runtime

Phone::Phone(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<Phone>> Phone::connect(Runtime& runtime, PhoneConfig config) {
  if (config.homeserver.empty() && config.session_path.empty()) {
    return Error{ErrorCode::not_logged_in, "no homeserver given: pass its base URL (https://matrix.example.org)"};
  }
  auto client = runtime::log_in(config);
  if (!client) return client.error();
  matrix::Session session = (*client)->session();
  // Before the first /sync, so that its keys and to-device messages reach the store.
  auto encryption = runtime::open_encryption(**client, config);
  if (!encryption) return encryption.error();
  protocol::LocalParty me{session.user_id, session.device_id};
  auto transport = std::make_unique<runtime::HomeserverTransport>(runtime.impl(), std::move(*client), config);
  auto impl = make_impl(runtime, std::move(me), config, std::move(transport));
  impl->identity = std::move(encryption->identity);
  return std::unique_ptr<Phone>(new Phone(std::move(impl)));
}

std::unique_ptr<Phone> Phone::in_room(Runtime& runtime, InProcessRoom& room, std::string user_id, std::string device_id,
                                      PhoneConfig config) {
  auto transport = std::make_unique<runtime::RoomTransport>(room.impl(), user_id);
  return std::unique_ptr<Phone>(new Phone(make_impl(
      runtime, protocol::LocalParty{std::move(user_id), std::move(device_id)}, config, std::move(transport))));
}

Phone::~Phone() {
  hangup_all();
  impl_->loop.run_sync([&] { impl_->core->shutdown(); });
  // Joins the sync, send and TURN threads; what they posted and the loop has not run yet finds no phone.
  impl_->core->transport().stop();
}

// On the loop: once this returns, no callback to the previous observer is running or will run, so it may go.
void Phone::set_observer(PhoneObserver* observer) {
  impl_->loop.run_sync([&] { impl_->core->set_observer(observer); });
}

Result<CallRef> Phone::call(const std::string& target, const CallOptions& options) {
  auto room = impl_->core->transport().resolve_target(target);
  if (!room) return room.error();
  CallRef ref{*room, runtime::new_call_id()};
  std::optional<std::string> invitee;
  std::optional<std::string> dm_peer;
  if (target.starts_with('@')) {
    invitee = target;  // only that user's devices ring; in a room call any member may answer
  } else {
    // A direct chat called by room id or alias: its other member's crossing invite is still glare (rule 58).
    dm_peer = impl_->core->transport().direct_peer(ref.room_id);
  }
  protocol::action::Call action{ref.room_id, ref.call_id, invitee, options.video, dm_peer};
  impl_->on_loop(
      [action = std::move(action), media = options.media](runtime::PhoneCore& core) { core.act(action, media); });
  return ref;
}

void Phone::answer(const CallRef& call, const AnswerOptions& options) {
  impl_->on_loop([call, options](runtime::PhoneCore& core) {
    core.act(protocol::action::Answer{call, options.video}, options.media);
  });
}

void Phone::reject(const CallRef& call) {
  impl_->on_loop([call](runtime::PhoneCore& core) { core.act(protocol::action::Reject{call}); });
}

void Phone::hangup(const CallRef& call) {
  impl_->on_loop([call](runtime::PhoneCore& core) { core.act(protocol::action::Hangup{call}); });
}

void Phone::hold(const CallRef& call) {
  impl_->on_loop([call](runtime::PhoneCore& core) { core.act(protocol::action::Hold{call}); });
}

void Phone::resume(const CallRef& call) {
  impl_->on_loop([call](runtime::PhoneCore& core) { core.act(protocol::action::Resume{call}); });
}

void Phone::send_dtmf(const CallRef& call, const std::string& digits, const DtmfOptions& options) {
  impl_->on_loop([action = protocol::action::SendDtmf{call, digits, options.tone_ms, options.gap_ms}](
                     runtime::PhoneCore& core) { core.act(action); });
}

void Phone::share_screen(const CallRef& call, bool on) {
  impl_->on_loop([call, on](runtime::PhoneCore& core) { core.act(protocol::action::ShareScreen{call, on}); });
}

void Phone::mute(const CallRef& call, bool audio, bool video) {
  impl_->on_loop([call, audio, video](runtime::PhoneCore& core) {
    core.act(protocol::action::Mute{call, audio, video});
  });
}

void Phone::set_video(const CallRef& call, bool video) {
  impl_->on_loop([call, video](runtime::PhoneCore& core) { core.act(protocol::action::SetVideo{call, video}); });
}

void Phone::hangup_all(std::chrono::milliseconds timeout) {
  impl_->loop.run_sync([&] { impl_->core->hangup_live_calls(); });
  // Also when no call was live: a call that just ended (a --seconds hangup, a reject) may still have its hangup or
  // reject queued, and stopping the transport drops what is queued.
  impl_->core->transport().wait_sent(timeout);
}

const std::string& Phone::user_id() const { return impl_->user_id; }
const std::string& Phone::device_id() const { return impl_->device_id; }
std::vector<CallRef> Phone::live_calls() const { return impl_->core->live_calls(); }
std::optional<matrix::ClientStats> Phone::homeserver_stats() const { return impl_->core->transport().client_stats(); }

std::optional<DeviceIdentity> Phone::device_identity() const { return impl_->identity; }

Result<std::optional<DeviceIdentity>> prepare_encryption(const PhoneConfig& config, bool upload_keys) {
  if (!encryption_built() || !config.encryption.enabled || encryption_store_path(config).empty()) {
    return std::optional<DeviceIdentity>{};
  }
  auto client = runtime::log_in(config);
  if (!client) return client.error();
  auto encryption = runtime::open_encryption(**client, config);
  if (!encryption) return encryption.error();
  if (upload_keys) {
    if (auto sent = (*client)->flush_crypto_requests(); !sent) return sent.error();
  }
  return std::move(encryption->identity);
}

}  // namespace mxcall
