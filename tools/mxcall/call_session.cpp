#include "call_session.hpp"

#include "account.hpp"
#include "interrupts.hpp"

namespace mxcall::tools {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// Bounds of the ending: the hangups must reach the homeserver, but a dead homeserver must not hold the terminal.
constexpr milliseconds kHangupBudget{5000};
constexpr milliseconds kDrainBudget{2000};
constexpr milliseconds kTickPeriod{200};

CallSession::CallSession(Runtime& runtime, Output& out) : runtime_(runtime), out_(out) {}

CallSession::~CallSession() {
  if (finisher_.joinable()) finisher_.join();
}

int CallSession::connect_and_run(const PhoneConfig& config) {
  InterruptWatcher interrupts([this](int signal) { interrupt(signal); });
  auto phone = Phone::connect(runtime_, config);
  if (!phone) {
    out_.error(store_error_hint(phone.error()), matrix::to_string(phone.error().code));
    return exit_code_for(phone.error());
  }
  phone_ = phone->get();
  phone_->set_observer(this);
  std::optional<int> status = start(*phone_);
  if (!status) status = run();
  phone_->set_observer(nullptr);
  phone_ = nullptr;
  return *status;  // the phone is destroyed after this, while Ctrl-C is still watched
}

int CallSession::run() {
  if (out_.wants_ticks()) runtime_.post([this] { tick(); });
  runtime_.run();
  if (finisher_.joinable()) finisher_.join();
  return exit_code_;
}

void CallSession::interrupt(int signal) {
  runtime_.post([this, signal] {
    if (finishing_) return;
    out_.fact("interrupted", {{"signal", static_cast<std::int64_t>(signal)}},
              "hanging up (press Ctrl-C again to quit at once)");
    finish(std::nullopt);
  });
}

void CallSession::tick() {
  if (done_) return;
  out_.tick(live_calls(), finishing_ ? "hanging up" : waiting_text());
  runtime_.post_after(kTickPeriod, [this] { tick(); });
}

CallView& CallSession::track(const CallRef& ref, std::string peer, bool outgoing, bool video) {
  if (CallView* existing = find(ref)) return *existing;
  auto view = std::make_unique<CallView>();
  view->ref = ref;
  view->peer = std::move(peer);
  view->outgoing = outgoing;
  view->video = video;
  view->state = outgoing ? CallState::create_offer : CallState::ringing;
  view->started = steady_clock::now();
  calls_.push_back(std::move(view));
  return *calls_.back();
}

CallView* CallSession::find(const CallRef& ref) {
  for (auto& call : calls_) {
    if (call->ref == ref) return call.get();
  }
  return nullptr;
}

std::vector<const CallView*> CallSession::live_calls() const {
  std::vector<const CallView*> out;
  for (const auto& call : calls_) {
    if (call->state != CallState::ended) out.push_back(call.get());
  }
  return out;
}

std::vector<const CallView*> CallSession::all_calls() const {
  std::vector<const CallView*> out;
  for (const auto& call : calls_) out.push_back(call.get());
  return out;
}

void CallSession::on_incoming_call(const IncomingCall& details) {
  CallView& call = track(details.call, details.caller, false, details.video);
  if (replacements_.contains(details.call)) {
    out_.incoming(details, "transfer");  // the awaited transfer replacement, answered by the phone (rule T7)
    return;
  }
  if (finishing_) {
    out_.incoming(details, "ring");
    return;
  }
  incoming(call, details);
}

void CallSession::on_call_state(const CallStateChange& change) {
  // A call we did not see start (glare's surviving call, an invite seen before the observer was set): follow it.
  CallView& call = track(change.call, "?", outgoing_calls(), false);
  if (call.state == change.state && change.state != CallState::ended) return;
  call.state = change.state;
  if (change.state == CallState::connected && !call.connected_at) call.connected_at = steady_clock::now();
  if (change.state == CallState::ended) {
    call.ended_at = steady_clock::now();
    call.end_reason = change.reason;
    call.ended_locally = change.local;
    call.outcome = classify_end({change.reason, change.local, call.connected_at.has_value(), call.outgoing});
  }
  out_.state(call);
  if (change.state == CallState::connecting || change.state == CallState::connected) assert_identity_once(call);
  if (change.state == CallState::connected) connected(call);
  if (change.state == CallState::ended) ended(call);
}

void CallSession::on_dtmf(const DtmfReceived& digit) {
  std::string key(1, digit.digit);
  out_.fact("dtmf",
            {{"call_id", digit.call.call_id},
             {"room_id", digit.call.room_id},
             {"digit", key},
             {"duration_ms", static_cast<std::int64_t>(digit.duration_ms)}},
            "peer pressed " + key + " (" + std::to_string(digit.duration_ms) + " ms)");
}

void CallSession::on_peer_screenshare(const PeerScreenshare& share) {
  out_.fact("peer_screenshare",
            {{"call_id", share.call.call_id},
             {"room_id", share.call.room_id},
             {"stream_id", share.stream_id},
             {"active", share.active}},
            share.active ? "peer: sharing a screen" : "peer: stopped sharing the screen");
}

void CallSession::on_stats(const CallStats& stats) {
  CallView* call = find(stats.call);
  if (call == nullptr) return;
  call->stats = stats;
  out_.stats(*call);
}

void CallSession::on_action_refused(const CallRef& call, const std::string& why) {
  out_.warning("call " + call.call_id + ": " + why);
  refused(call, why);
}

void CallSession::on_fatal_error(const Error& error) {
  out_.error(error.message, matrix::to_string(error.code));
  finish(exit_code_for(error));
}

void CallSession::on_notice(const std::string& message) { out_.fact("notice", {{"message", message}}, message); }

void CallSession::hang_up_after(const CallRef& ref, double seconds) {
  runtime_.post_after(milliseconds{static_cast<std::int64_t>(seconds * 1000)}, [this, ref] {
    CallView* call = find(ref);
    if (call == nullptr || call->state == CallState::ended || finishing_) return;
    out_.fact("time_up", {{"call_id", ref.call_id}, {"room_id", ref.room_id}}, "--seconds reached: hanging up");
    phone_->hangup(ref);
  });
}

void CallSession::finish(std::optional<int> exit_code) {
  if (finishing_) return;
  finishing_ = true;
  if (phone_ == nullptr) {
    drain(steady_clock::now(), exit_code);
    return;
  }
  // hangup_all blocks until the hangups were handed to the homeserver, so it runs off the loop thread; the loop
  // keeps delivering the calls' ended states meanwhile.
  Phone* phone = phone_;
  finisher_ = std::thread([this, phone, exit_code] {
    phone->hangup_all(kHangupBudget);
    runtime_.post([this, exit_code] { drain(steady_clock::now() + kDrainBudget, exit_code); });
  });
}

void CallSession::drain(steady_clock::time_point deadline, std::optional<int> exit_code) {
  // Calls still ringing here are left to ring for the user's other devices (hangup_all does not reject them); only
  // the calls we were in are waited for.
  bool in_a_call = false;
  for (const CallView* call : live_calls()) {
    in_a_call |= call->state != CallState::ringing && call->state != CallState::ringing_silent;
  }
  if (in_a_call && steady_clock::now() < deadline) {
    runtime_.post_after(milliseconds{50}, [this, deadline, exit_code] { drain(deadline, exit_code); });
    return;
  }
  exit_code_ = exit_code.value_or(exit_code_now());
  done_ = true;
  out_.summary(exit_code_, all_calls());
  runtime_.quit();
}

}  // namespace mxcall::tools
