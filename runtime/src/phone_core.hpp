// The router binder: one local party's protocol::Router on the loop thread. It feeds the router what the transport
// and the media sessions report, carries out every output (sends through the transport, media commands on sessions,
// states and peer state to the observer), and keeps one timer armed at the router's next deadline.
//
// Everything here runs on the loop thread. Other threads reach it only through Runtime::Impl::post, holding a
// weak_ptr, so work posted for a phone that is gone is dropped.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include "loop.hpp"
#include "media_sessions.hpp"
#include "mxcall/protocol/event_reader.hpp"
#include "mxcall/protocol/router.hpp"
#include "transport.hpp"

namespace mxcall::runtime {

class PhoneCore : public std::enable_shared_from_this<PhoneCore> {
 public:
  PhoneCore(Runtime::Impl& loop, protocol::LocalParty me, const PhoneConfig& config,
            std::unique_ptr<Transport> transport);
  ~PhoneCore();
  PhoneCore(const PhoneCore&) = delete;
  PhoneCore& operator=(const PhoneCore&) = delete;

  // Any thread. Starts the transport (its callbacks hold weak references to this core).
  void start();

  // Loop thread.
  void on_batch(InboundBatch batch);
  void on_media_event(const protocol::MediaEvent& event);
  void act(const protocol::UserAction& action, std::optional<MediaChoice> media = std::nullopt);
  // Accepts the peer's transfer request (phone_features.cpp): finds the room for a create_call replacement (which may
  // ask the homeserver, on this thread) and chooses the replacement's media.
  void accept_transfer(const CallRef& call, const std::string& replacement_id, const AnswerOptions& options);
  // Hangs up every call placed or answered here (not those still ringing). Returns how many.
  int hangup_live_calls();
  // Closes every session and refuses further input; the transport is stopped afterwards off the loop.
  void shutdown();

  // Any thread.
  void set_observer(PhoneObserver* observer) { observer_.store(observer); }
  std::vector<CallRef> live_calls() const;
  Transport& transport() { return *transport_; }
  const protocol::LocalParty& me() const { return me_; }
  Runtime::Impl& loop() { return loop_; }

 private:
  void drain();
  void execute(protocol::Output& output);
  void on_update(const protocol::CallUpdate& update);
  void on_feature(const protocol::CallFeature& feature);  // phone_features.cpp
  void arm_timer();
  void arm_stats();
  void trace(SignallingTrace::Direction direction, std::string room_id, std::string type, std::string call_id,
             std::string detail);
  PhoneObserver* observer() const { return observer_.load(); }

  Runtime::Impl& loop_;
  protocol::LocalParty me_;
  std::chrono::milliseconds stats_interval_;
  std::unique_ptr<Transport> transport_;
  protocol::Router router_;
  protocol::EventReader reader_;
  std::vector<protocol::Output> outputs_;
  std::vector<protocol::ReadResult> read_;
  MediaSessions sessions_;
  std::atomic<PhoneObserver*> observer_{nullptr};
  bool stopped_ = false;
  std::optional<protocol::Millis> timer_at_;  // the deadline a timer is armed for
  bool stats_armed_ = false;
  std::set<CallRef> ended_by_us_;  // calls we sent a hangup or reject for (CallStateChange::local)
  std::map<CallRef, PeerMediaState> peer_state_;
  std::map<CallRef, IncomingCall> invites_;  // invites of this batch, until their call rings or ends
  std::set<std::string> own_echoes_;         // event ids of our own events in the batch being read
  // Transfers (phone_features.cpp): the policy, the requests not yet settled, and the media of awaited replacements.
  TransferPolicy transfer_policy_;
  MediaChoice transfer_media_;
  std::map<CallRef, TransferRequest> transfer_requests_;
  std::map<CallRef, MediaChoice> awaited_media_;  // by the original call, until the awaited invite comes

  mutable std::mutex live_mutex_;  // live_ is read from any thread
  std::map<CallRef, CallState> live_;
};

}  // namespace mxcall::runtime
