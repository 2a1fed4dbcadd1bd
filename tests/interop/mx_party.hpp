// Our side of an interop test: one mxcall::Phone (a device of a user on the Synapse fixture), with an observer that
// keeps everything the phone reports so a test thread can wait for it. Audio is recorded per call to a WAV file and
// its dominant frequency read back while the call goes on (media::read_wav tolerates a header not yet completed).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "mxcall/phone.hpp"

namespace mxcall::interop {

using namespace std::chrono_literals;

// The loop every phone of a test program runs on, on its own thread.
class LoopThread {
 public:
  LoopThread();
  ~LoopThread();
  Runtime& runtime() { return runtime_; }

 private:
  Runtime runtime_;
  std::thread thread_;
};

struct TimedState {
  CallStateChange change;
  std::chrono::system_clock::time_point at;
};

class MxParty : public PhoneObserver {
 public:
  // Logs in as `user` (a new device each time) on `homeserver`; sends a tone of `tone_hz`.
  // `configure` adjusts the phone's configuration before it connects (transfer policy, ...).
  MxParty(Runtime& runtime, std::string name, const std::string& homeserver, const std::string& user,
          const std::string& password, double tone_hz, Timeouts timeouts = {},
          const std::function<void(PhoneConfig&)>& configure = {});
  ~MxParty() override;
  bool ok() const { return phone_ != nullptr; }
  Phone& phone() { return *phone_; }
  const std::string& name() const { return name_; }

  // Places a voice (or video) call in `room_id`, recording what it hears.
  std::optional<CallRef> call(const std::string& room_id, bool video = false);
  void answer(const CallRef& call, bool video = false);

  std::optional<IncomingCall> wait_incoming(std::chrono::milliseconds timeout = 15s);
  bool wait_state(const CallRef& call, CallState state, std::chrono::milliseconds timeout = 15s);
  // The `ended` change of the call, once it came.
  std::optional<CallStateChange> wait_ended(const CallRef& call, std::chrono::milliseconds timeout = 15s);
  bool ended(const CallRef& call) const;
  std::optional<PeerMediaState> wait_peer(const CallRef& call, const std::function<bool(const PeerMediaState&)>& match,
                                          std::chrono::milliseconds timeout = 10s);
  std::vector<TimedState> states(const CallRef& call) const;
  // The DTMF digits the peer sent on the call (in order, with durations), once at least `count` arrived.
  // The peer's screen share, once its latest change says `active`.
  bool wait_screenshare(const CallRef& call, bool active, std::chrono::milliseconds timeout = 15s);
  std::vector<DtmfReceived> wait_dtmf(const CallRef& call, std::size_t count, std::chrono::milliseconds timeout = 15s);
  bool rang(const CallRef& call) const;      // the call reached ringing here
  std::vector<std::string> notices() const;  // what the phone reported via on_notice (undecryptable events, ...)
  // Whether a notice containing `fragment` came within `timeout`.
  bool wait_notice(const std::string& fragment, std::chrono::milliseconds timeout = 15s) const;

  // The dominant frequency of the last half second recorded, polled until it is `hz` (2%) or `timeout` passes.
  bool hears(const CallRef& call, double hz, std::chrono::milliseconds timeout = 10s);
  // The newest stats of the call; decoded samples grow while the peer's audio plays.
  std::optional<CallStats> stats(const CallRef& call) const;
  // Loud 10 ms blocks recorded over `window` (~100 a second while the peer's tone plays). The recording reaches the
  // file in 64 KiB writes (~0.7 s of audio), so a window should start a second after the change it measures.
  long loud_blocks_over(const CallRef& call, std::chrono::milliseconds window);

  std::string recording_path(const CallRef& call) const;
  // `to` records where `from` did: the peer's call that won glare carries on with the media of ours (runtime).
  void share_recording(const CallRef& from, const CallRef& to);

  // PhoneObserver
  void on_incoming_call(const IncomingCall& call) override;
  void on_call_state(const CallStateChange& change) override;
  void on_peer_media_state(const PeerMediaState& state) override;
  void on_dtmf(const DtmfReceived& digit) override;
  void on_peer_screenshare(const PeerScreenshare& share) override;
  void on_stats(const CallStats& stats) override;
  void on_action_refused(const CallRef& call, const std::string& why) override;
  void on_notice(const std::string& message) override;
  void on_fatal_error(const Error& error) override;
  void on_signalling(const SignallingTrace& trace) override;  // printed when MXCALL_INTEROP_TRACE is set

 private:
  MediaChoice media_for(const CallRef& call) const;
  bool wait(const std::function<bool()>& done, std::chrono::milliseconds timeout) const;

  std::string name_;
  double tone_hz_;
  std::string recordings_;
  int outgoing_ = 0;  // recordings of calls we placed, numbered until their call id is known
  std::unique_ptr<Phone> phone_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<IncomingCall> incoming_;
  std::size_t incoming_taken_ = 0;
  std::map<CallRef, std::vector<TimedState>> states_;
  std::map<CallRef, std::vector<PeerMediaState>> peer_;
  std::map<CallRef, std::vector<DtmfReceived>> dtmf_;
  std::map<CallRef, std::vector<PeerScreenshare>> screenshares_;
  std::map<CallRef, CallStats> stats_;
  std::vector<std::string> notices_;
};

}  // namespace mxcall::interop
