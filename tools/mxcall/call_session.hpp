// What `call` and `answer` share once a Phone exists: following calls (CallView), printing their states, stats and
// signalling through the Output, the terminal ticks, Ctrl-C, and the bounded ending (hang up what is live, wait for
// the hangups to reach the homeserver, print the summary, stop the loop). The subclasses decide what to do with
// incoming calls and when the command is done.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "call_features.hpp"
#include "output.hpp"

namespace mxcall::tools {

class CallSession : public PhoneObserver {
 public:
  CallSession(Runtime& runtime, Output& out);
  ~CallSession() override;
  CallSession(const CallSession&) = delete;
  CallSession& operator=(const CallSession&) = delete;

  // Logs in (or resumes) with `config`, calls start(), runs the loop until finish() has ended it, and destroys the
  // phone (its pending hangups are handed to the homeserver first). Returns the exit status. Ctrl-C is watched the
  // whole time.
  int connect_and_run(const PhoneConfig& config);
  // --allow-transfer, --identity: set before connect_and_run.
  void use_features(FeatureSettings features) { features_ = std::move(features); }
  // From any thread (the interrupt watcher): hang up properly and finish.
  void interrupt(int signal);

  void on_incoming_call(const IncomingCall& call) final;
  void on_call_state(const CallStateChange& change) final;
  void on_peer_media_state(const PeerMediaState& state) final { out_.peer_media(state); }
  void on_stats(const CallStats& stats) final;
  void on_dtmf(const DtmfReceived& digit) final;
  void on_peer_screenshare(const PeerScreenshare& share) final;
  void on_action_refused(const CallRef& call, const std::string& why) final;
  void on_signalling(const SignallingTrace& trace) final { out_.signalling(trace); }
  void on_fatal_error(const Error& error) final;
  void on_notice(const std::string& message) final;
  // call_session_features.cpp
  void on_peer_capabilities(const PeerCapabilities& capabilities) final;
  void on_peer_identity(const PeerIdentity& identity) final;
  void on_transfer_request(const TransferRequest& request) final;
  void on_transfer_update(const TransferUpdate& update) final;

 protected:
  virtual void incoming(CallView& call, const IncomingCall& details) = 0;
  virtual void connected(CallView& /*call*/) {}
  virtual void ended(CallView& call) = 0;
  // The exit status when the command is ended from outside (Ctrl-C, a fatal error without its own status).
  virtual int exit_code_now() const = 0;
  virtual std::string waiting_text() const { return {}; }
  virtual bool outgoing_calls() const = 0;
  // Once the phone is connected and observed, before the loop runs: places the call, says what it waits for. An exit
  // status ends the command at once.
  virtual std::optional<int> start(Phone& phone) = 0;
  // A transfer the peer asked for goes on as `replacement`, and `original` is about to end (rule T8): the command
  // follows the new call from now on.
  virtual void transferred(CallView& /*original*/, const CallRef& /*replacement*/) {}
  // Any transfer news (the transfer command waits for the peer's answer to its own).
  virtual void transfer_update(const TransferUpdate& /*update*/) {}
  // An action was refused (after the warning is printed).
  virtual void refused(const CallRef& /*call*/, const std::string& /*why*/) {}
  // The media of a replacement call accepted on the terminal.
  virtual AnswerOptions replacement_media() const { return {}; }

  CallView& track(const CallRef& ref, std::string peer, bool outgoing, bool video);
  CallView* find(const CallRef& ref);
  std::vector<const CallView*> live_calls() const;
  std::vector<const CallView*> all_calls() const;
  // Hangs `call` up after `seconds` (--seconds), if it is still live then.
  void hang_up_after(const CallRef& call, double seconds);
  // Ends the command: hangs up every live call (bounded), prints the summary with `exit_code` (or exit_code_now()
  // once the hangups are done), and stops the loop. Once only; later calls are ignored.
  void finish(std::optional<int> exit_code);
  bool finishing() const { return finishing_; }

  Runtime& runtime_;
  Output& out_;
  Phone* phone_ = nullptr;

 private:
  int run();
  void tick();
  void drain(std::chrono::steady_clock::time_point deadline, std::optional<int> exit_code);

  void assert_identity_once(const CallView& call);

  std::vector<std::unique_ptr<CallView>> calls_;
  FeatureSettings features_;
  std::unique_ptr<TerminalQuestion> question_;
  std::set<CallRef> replacements_;  // incoming transfer replacements: the phone answers them itself
  std::set<CallRef> identity_asserted_;
  std::map<CallRef, std::string> transfer_targets_;  // by the original call: whom its replacement calls
  bool finishing_ = false;
  bool done_ = false;
  int exit_code_ = 0;
  std::thread finisher_;
};

}  // namespace mxcall::tools
