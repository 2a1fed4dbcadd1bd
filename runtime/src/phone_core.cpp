#include "phone_core.hpp"

#include <type_traits>

namespace mxcall::runtime {

using protocol::Millis;

namespace {

constexpr int kMaxDrainRounds = 1000;  // outputs feeding outputs (a timer due during a drain): bounded regardless

// Our own SendEvents carry the call id in their content as our writer wrote it: `"call_id":"..."`.
std::string call_id_of(std::string_view content) {
  constexpr std::string_view key = "\"call_id\":\"";
  auto at = content.find(key);
  if (at == std::string_view::npos) return {};
  at += key.size();
  auto end = content.find('"', at);
  return end == std::string_view::npos ? std::string() : std::string(content.substr(at, end - at));
}

// What our invites and answers advertise (rule T10): transfers unless they are always declined, DTMF when asked.
protocol::LocalParty advertising(protocol::LocalParty me, const PhoneConfig& config) {
  me.capabilities.transferee = config.transfers != TransferPolicy::decline;
  me.capabilities.dtmf = config.advertise_dtmf;
  return me;
}

}  // namespace

PhoneCore::PhoneCore(Runtime::Impl& loop, protocol::LocalParty me, const PhoneConfig& config,
                     std::unique_ptr<Transport> transport)
    : loop_(loop),
      me_(advertising(std::move(me), config)),
      stats_interval_(config.stats_interval),
      transport_(std::move(transport)),
      router_(me_, config.timeouts),
      sessions_(config,
                [this](protocol::MediaEvent event) {
                  // Runs on GStreamer threads too: only the weak reference and the loop are touched here.
                  loop_.post([weak = weak_from_this(), event = std::move(event)] {
                    if (auto core = weak.lock()) core->on_media_event(event);
                  });
                }),
      transfer_policy_(config.transfers),
      transfer_media_(config.transfer_media) {}

PhoneCore::~PhoneCore() = default;

void PhoneCore::start() {
  std::weak_ptr<PhoneCore> weak = weak_from_this();
  TransportCallbacks callbacks;
  callbacks.on_batch = [weak](InboundBatch batch) {
    if (auto core = weak.lock()) core->on_batch(std::move(batch));
  };
  callbacks.on_sent = [weak](SignallingTrace trace) {
    auto core = weak.lock();
    if (!core) return;
    if (auto* observer = core->observer()) observer->on_signalling(trace);
  };
  callbacks.on_fatal = [weak](Error error) {
    auto core = weak.lock();
    if (!core) return;
    if (auto* observer = core->observer()) observer->on_fatal_error(error);
  };
  transport_->start(std::move(callbacks));
}

void PhoneCore::trace(SignallingTrace::Direction direction, std::string room_id, std::string type, std::string call_id,
                      std::string detail) {
  auto* observer = this->observer();
  if (!observer) return;
  observer->on_signalling(SignallingTrace{direction, std::move(room_id), std::move(type), std::move(call_id),
                                          std::move(detail), std::chrono::system_clock::now()});
}

void PhoneCore::on_batch(InboundBatch batch) {
  if (stopped_) return;
  Millis now = Runtime::Impl::now_ms();
  for (const auto& notice : batch.notices) {
    if (auto* observer = this->observer()) observer->on_notice(notice);
  }
  for (const auto& rule : batch.join_rules) router_.room_join_rule(rule, now);
  read_.clear();
  own_echoes_.clear();
  if (auto error = reader_.read_events(batch.timeline_json, "", read_)) {
    if (auto* observer = this->observer()) observer->on_notice("a sync batch was dropped: " + error->to_string());
  } else {
    for (const auto& result : read_) {
      if (result.status != protocol::ReadStatus::call_event) continue;
      const auto& event = result.event;
      const auto& common = protocol::common_of(event.content);
      // Our own echoes are not news (the router still sees them, and drops them); our user's other devices are
      // (rule 12).
      if (event.sender == me_.user_id && common.party_id == me_.party_id) {
        own_echoes_.insert(std::string(event.event_id));
        continue;
      }
      std::string call_id(common.call_id);
      trace(SignallingTrace::Direction::received, std::string(event.room_id), std::string(event.type), call_id, {});
      if (const auto* invite = std::get_if<protocol::Invite>(&event.content)) {
        IncomingCall incoming;
        incoming.call = {std::string(event.room_id), call_id};
        incoming.caller = std::string(event.sender);
        incoming.caller_party = std::string(invite->common.party_id.value_or(""));
        incoming.video = invite->offer.sdp.find("m=video") != std::string_view::npos;
        invites_[incoming.call] = std::move(incoming);
      }
    }
    router_.sync_batch(read_, now);
  }
  for (const auto& left : batch.members_left) router_.member_left(left, now);
  drain();
  invites_.clear();  // a call rings within its batch (rule 21) or not at all: nothing here is needed later
  own_echoes_.clear();
}

void PhoneCore::on_media_event(const protocol::MediaEvent& event) {
  if (stopped_) return;
  router_.media_event(event, Runtime::Impl::now_ms());
  drain();
}

void PhoneCore::act(const protocol::UserAction& action, std::optional<MediaChoice> media) {
  if (stopped_) return;
  if (media) {
    if (const auto* call = std::get_if<protocol::action::Call>(&action)) {
      sessions_.choose_for_glare({call->room_id, call->call_id}, *media);
      sessions_.choose({call->room_id, call->call_id}, std::move(*media));
    } else if (const auto* answer = std::get_if<protocol::action::Answer>(&action)) {
      sessions_.choose(answer->call, std::move(*media));
    }
  }
  router_.act(action, Runtime::Impl::now_ms());
  drain();
}

int PhoneCore::hangup_live_calls() {
  std::vector<CallRef> ours;
  {
    std::lock_guard lock(live_mutex_);
    for (const auto& [call, state] : live_) {
      if (state != CallState::ringing && state != CallState::ringing_silent) ours.push_back(call);
    }
  }
  for (const auto& call : ours) act(protocol::action::Hangup{call});
  return static_cast<int>(ours.size());
}

void PhoneCore::shutdown() {
  stopped_ = true;
  sessions_.close_all();
}

std::vector<CallRef> PhoneCore::live_calls() const {
  std::lock_guard lock(live_mutex_);
  std::vector<CallRef> calls;
  for (const auto& [call, state] : live_) calls.push_back(call);
  return calls;
}

void PhoneCore::drain() {
  for (int round = 0; round < kMaxDrainRounds; ++round) {
    Millis now = Runtime::Impl::now_ms();
    if (auto due = router_.next_deadline(); due && *due <= now) router_.advance(now);
    router_.take_outputs(outputs_);
    if (outputs_.empty()) break;
    for (auto& output : outputs_) execute(output);
  }
  arm_timer();
  arm_stats();
}

void PhoneCore::execute(protocol::Output& output) {
  std::visit(
      [&](auto& out) {
        using T = std::remove_cvref_t<decltype(out)>;
        if constexpr (std::is_same_v<T, protocol::SendEvent>) {
          std::string type(protocol::type_name(out.kind));
          std::string call_id = call_id_of(out.content);
          if (out.kind == protocol::EventKind::hangup || out.kind == protocol::EventKind::reject) {
            ended_by_us_.insert({out.room_id, call_id});
          }
          trace(SignallingTrace::Direction::sent, out.room_id, type, call_id, {});
          transport_->send(out.room_id, type, std::move(out.content));
        } else if constexpr (std::is_same_v<T, protocol::MediaCommand>) {
          sessions_.execute(out, transport_->ice_servers());
        } else if constexpr (std::is_same_v<T, protocol::CallUpdate>) {
          on_update(out);
        } else if constexpr (std::is_same_v<T, protocol::Ignored>) {
          if (own_echoes_.contains(out.event_id)) return;  // dropping our own echo is the normal case, not news
          trace(SignallingTrace::Direction::ignored, out.call.room_id, {}, out.call.call_id, out.why);
        } else if constexpr (std::is_same_v<T, protocol::ActionRefused>) {
          bool live = false;
          {
            std::lock_guard lock(live_mutex_);
            live = live_.contains(out.call);
          }
          if (!live) sessions_.forget(out.call);  // a refused placement or answer leaves no choice behind
          if (auto* observer = this->observer()) observer->on_action_refused(out.call, out.why);
        } else if constexpr (std::is_same_v<T, protocol::PeerMuted>) {
          auto& state = peer_state_[out.call];
          state.call = out.call;
          state.audio_muted = out.audio_muted;
          state.video_muted = out.video_muted;
          if (auto* observer = this->observer()) observer->on_peer_media_state(state);
        } else if constexpr (std::is_same_v<T, protocol::PeerScreenshare>) {
          if (auto* observer = this->observer()) observer->on_peer_screenshare({out.call, out.stream_id, out.active});
        } else if constexpr (std::is_same_v<T, protocol::DtmfDigit>) {
          if (auto* observer = this->observer()) observer->on_dtmf({out.call, out.digit, out.duration_ms});
        } else if constexpr (std::is_same_v<T, protocol::PeerHeld>) {
          auto& state = peer_state_[out.call];
          state.call = out.call;
          state.on_hold = out.held;
          if (auto* observer = this->observer()) observer->on_peer_media_state(state);
        } else if constexpr (std::is_same_v<T, protocol::CallFeature>) {
          on_feature(out);
        }
      },
      output);
}

void PhoneCore::on_update(const protocol::CallUpdate& update) {
  bool ended = update.state == protocol::CallState::ended;
  {
    std::lock_guard lock(live_mutex_);
    if (ended) {
      live_.erase(update.call);
    } else {
      live_[update.call] = update.state;
    }
  }
  auto* observer = this->observer();
  if (update.state == protocol::CallState::ringing || update.state == protocol::CallState::ringing_silent) {
    auto it = invites_.find(update.call);
    IncomingCall incoming = it != invites_.end() ? it->second : IncomingCall{update.call, {}, {}, false, false};
    incoming.silent = update.state == protocol::CallState::ringing_silent;
    if (it != invites_.end()) invites_.erase(it);
    if (observer) observer->on_incoming_call(incoming);
  }
  CallStateChange change{update.call, update.state, update.reason, false};
  if (ended) {
    change.local = ended_by_us_.erase(update.call) > 0;
    peer_state_.erase(update.call);
    transfer_requests_.erase(update.call);
    invites_.erase(update.call);
    sessions_.forget(update.call);
  }
  if (observer) observer->on_call_state(change);
}

void PhoneCore::arm_timer() {
  auto due = router_.next_deadline();
  if (!due || stopped_) return;
  if (timer_at_ && *timer_at_ <= *due) return;  // an earlier timer will re-arm for this one
  timer_at_ = due;
  auto delay = std::chrono::milliseconds{std::max<Millis>(0, *due - Runtime::Impl::now_ms())};
  loop_.post_after(delay, [weak = weak_from_this(), due = *due] {
    auto core = weak.lock();
    if (!core || core->stopped_) return;
    if (core->timer_at_ == due) core->timer_at_.reset();
    core->drain();
  });
}

void PhoneCore::arm_stats() {
  if (stats_armed_ || stopped_ || sessions_.empty() || stats_interval_.count() <= 0) return;
  stats_armed_ = true;
  loop_.post_after(stats_interval_, [weak = weak_from_this()] {
    auto core = weak.lock();
    if (!core) return;
    core->stats_armed_ = false;
    if (core->stopped_) return;
    auto* observer = core->observer();
    if (observer) {
      for (const auto& stats : core->sessions_.stats()) observer->on_stats(stats);
    }
    core->arm_stats();
  });
}

}  // namespace mxcall::runtime
