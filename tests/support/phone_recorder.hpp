// A PhoneObserver that records what it is told, for runtime tests. Callbacks run on the loop thread; the tests read
// the record from that thread too (inside Runtime::run_until predicates or after the loop stopped).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mxcall/phone.hpp"

namespace mxcall::test {

class Recorder final : public PhoneObserver {
 public:
  void on_incoming_call(const IncomingCall& call) override { incoming.push_back(call); }
  void on_call_state(const CallStateChange& change) override { states.push_back(change); }
  void on_peer_media_state(const PeerMediaState& state) override { peer.push_back(state); }
  void on_dtmf(const DtmfReceived& digit) override { dtmf += digit.digit; }
  void on_peer_screenshare(const PeerScreenshare& share) override { screenshares.push_back(share); }
  void on_stats(const CallStats& stats) override { last_stats = stats; }
  void on_action_refused(const CallRef&, const std::string& why) override { refused.push_back(why); }
  void on_signalling(const SignallingTrace& trace) override { traces.push_back(trace); }
  void on_fatal_error(const Error& error) override { fatal.push_back(error.message); }
  void on_notice(const std::string& message) override { notices.push_back(message); }

  // The last state of any call, or of the call with this id.
  std::optional<CallState> state(const std::string& call_id = {}) const {
    for (auto it = states.rbegin(); it != states.rend(); ++it) {
      if (call_id.empty() || it->call.call_id == call_id) return it->state;
    }
    return std::nullopt;
  }
  bool ever(const std::string& call_id, CallState s) const {
    for (const auto& change : states) {
      if (change.call.call_id == call_id && change.state == s) return true;
    }
    return false;
  }
  std::string end_reason(const std::string& call_id) const {
    for (const auto& change : states) {
      if (change.call.call_id == call_id && change.state == CallState::ended) return change.reason;
    }
    return {};
  }
  bool ever(CallState s) const {
    for (const auto& change : states) {
      if (change.state == s) return true;
    }
    return false;
  }
  const CallStateChange* ended() const {
    for (const auto& change : states) {
      if (change.state == CallState::ended) return &change;
    }
    return nullptr;
  }
  int sent(const std::string& type) const {
    int n = 0;
    for (const auto& t : traces) n += t.direction == SignallingTrace::Direction::sent && t.type == type;
    return n;
  }

  std::vector<IncomingCall> incoming;
  std::vector<CallStateChange> states;
  std::vector<PeerMediaState> peer;
  std::optional<CallStats> last_stats;
  std::vector<std::string> refused;
  std::string dtmf;  // digits the peer sent, in order
  std::vector<PeerScreenshare> screenshares;
  std::vector<SignallingTrace> traces;
  std::vector<std::string> fatal;
  std::vector<std::string> notices;
};

}  // namespace mxcall::test
