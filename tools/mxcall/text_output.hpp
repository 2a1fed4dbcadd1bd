// The text implementation of Output (see output.hpp): a live status line on a terminal, plain lines otherwise.
#pragma once

#include <string>

#include "output.hpp"

namespace mxcall::tools {

class TextOutput final : public Output {
 public:
  TextOutput(std::string command, bool verbose, bool terminal);
  void fact(std::string_view event, const std::vector<Field>& fields, std::string_view text) override;
  void error(std::string_view message, std::string_view code) override;
  void warning(std::string_view message) override;
  void incoming(const IncomingCall& call, std::string_view action) override;
  void state(const CallView& call) override;
  void stats(const CallView& /*call*/) override {}  // shown by the status line's meters
  void peer_media(const PeerMediaState& state) override;
  void signalling(const SignallingTrace& trace) override;
  void tick(const std::vector<const CallView*>& live, std::string_view waiting) override;
  bool wants_ticks() const override { return terminal_; }
  void summary(int exit_code, const std::vector<const CallView*>& calls) override;

 private:
  // Prints a whole line above the status line (terminal) or as is, with a time stamp when not on a terminal.
  void line(std::FILE* stream, std::string_view text);
  std::string command_;
  bool terminal_;
  std::string status_;  // the status line last drawn, redrawn after a line is printed above it
  unsigned spinner_ = 0;
};

// "00:12", "1:02:03".
std::string format_elapsed(double seconds);
// "[#####-----]" for a level in 0..1 (a missing level draws an empty meter).
std::string level_meter(std::optional<double> level, int width = 10);

}  // namespace mxcall::tools
