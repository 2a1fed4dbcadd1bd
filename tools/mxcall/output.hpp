// What the commands print. Two implementations behind one interface:
//  - text (text_output.cpp): on a terminal, a status line redrawn in place (state, elapsed time, level meters,
//    a spinner while ringing or waiting) with events printed above it; otherwise plain timestamped lines;
//  - JSON lines (json_output.cpp): one object per line for every state change, event and the final summary, with
//    the field names documented in docs/cli.md (they are a stable interface: add fields, never rename them).
// Errors and warnings go to standard error in text mode and to standard output as `error`/`warning` objects in JSON.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "exit_codes.hpp"
#include "mxcall/phone.hpp"

namespace mxcall::tools {

// One call as the commands follow it, for status lines and the summary.
struct CallView {
  CallRef ref;
  std::string peer;  // the other party's user id (or the target as given, before it is known)
  bool outgoing = false;
  bool video = false;
  CallState state = CallState::create_offer;
  std::chrono::steady_clock::time_point started{};
  std::optional<std::chrono::steady_clock::time_point> connected_at;
  std::optional<std::chrono::steady_clock::time_point> ended_at;
  std::optional<CallStats> stats;
  std::string end_reason;
  bool ended_locally = false;
  std::optional<EndOutcome> outcome;  // once ended

  double connected_seconds() const;
};

// A field of a fact line: JSON gets them as members, text gets the fact's message.
using FieldValue = std::variant<std::string, std::int64_t, bool, double, std::nullptr_t>;
struct Field {
  std::string_view key;
  FieldValue value;
};

class Output {
 public:
  // `command` prefixes text errors ("mxcall call: ..."). `verbose` shows signalling.
  static std::unique_ptr<Output> make(std::string command, bool json, bool verbose);
  virtual ~Output() = default;

  // A fact with a JSON event name, its fields, and the sentence text mode prints.
  virtual void fact(std::string_view event, const std::vector<Field>& fields, std::string_view text) = 0;
  virtual void error(std::string_view message, std::string_view code = {}) = 0;
  virtual void warning(std::string_view message) = 0;

  // An incoming call and what this command does about it (answer, reject, ring, ignore_sender, at_capacity).
  virtual void incoming(const IncomingCall& call, std::string_view action) = 0;
  virtual void state(const CallView& call) = 0;
  virtual void stats(const CallView& call) = 0;
  virtual void peer_media(const PeerMediaState& state) = 0;
  virtual void signalling(const SignallingTrace& trace) = 0;
  // Redraws the terminal status line (a no-op elsewhere). `waiting` describes the idle state ("waiting for calls").
  virtual void tick(const std::vector<const CallView*>& live, std::string_view waiting) = 0;
  virtual bool wants_ticks() const = 0;
  virtual void summary(int exit_code, const std::vector<const CallView*>& calls) = 0;

  bool verbose() const { return verbose_; }

 protected:
  explicit Output(bool verbose) : verbose_(verbose) {}
  bool verbose_;
};

// Shared by both implementations.
std::string wall_clock_iso8601();  // 2026-11-30T11:09:00.123Z
std::string_view direction_name(SignallingTrace::Direction direction);

}  // namespace mxcall::tools
