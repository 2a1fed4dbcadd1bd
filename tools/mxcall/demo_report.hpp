// What `mxcall demo` shows while the call runs and after: each signalling event with its time, the call states, a
// live level meter per direction (on a terminal; plain lines otherwise, or JSON lines with --json), then a summary
// of the setup phases and of what each direction carried.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>

#include "mxcall/phone.hpp"
#include "mxcall/protocol/json_writer.hpp"

namespace mxcall::tools {

enum class DemoFormat : std::uint8_t { terminal, plain, json };

// The moments of a call's setup, in milliseconds since the call was placed.
struct SetupPhases {
  std::optional<double> invite_sent, ringing, answer_sent, caller_connected, callee_connected, caller_first_audio,
      callee_first_audio;
};

// One party's view: what it heard, for the summary.
struct PartyRecord {
  std::string name;  // "alice"
  double tone_hz = 0;
  CallStats last_stats;
  std::optional<CallState> state;
  std::string end_reason;
};

class DemoReport {
 public:
  DemoReport(std::ostream& out, DemoFormat format);

  void start_call(std::chrono::steady_clock::time_point placed) { placed_ = placed; }
  void signalling(const PartyRecord& party, const SignallingTrace& trace);
  void state(const PartyRecord& party, const CallStateChange& change);
  void peer_state(const PartyRecord& party, const PeerMediaState& state);
  void incoming(const PartyRecord& party, const IncomingCall& call);
  // Redraws the meter line (terminal) or prints a level line at most once a second (plain, json).
  void levels(const PartyRecord& caller, const PartyRecord& callee);
  void note(const std::string& text);

  // The verdict per direction: the tone the listener heard, from its recording.
  struct Direction {
    std::string from, to;
    double sent_hz = 0;
    double heard_hz = 0;  // 0 when nothing was recorded
    std::uint64_t packets_sent = 0, packets_received = 0, samples_decoded = 0;
    bool ok = false;
  };
  // Prints the summary; returns whether the demo passed (each tone heard, and in a video call frames both ways).
  bool summary(const SetupPhases& phases, const Direction& forward, const Direction& back, bool video,
               std::uint64_t caller_frames, std::uint64_t callee_frames);

  double since_placed_ms() const;

 private:
  void end_meter_line();
  // One JSON object per line: {"t_ms":..., <fields>}.
  void json_line(const std::function<void(protocol::JsonWriter&)>& fields);
  std::ostream& out_;
  DemoFormat format_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point placed_ = started_;
  std::chrono::steady_clock::time_point last_level_line_{};
  bool meter_shown_ = false;
};

}  // namespace mxcall::tools
