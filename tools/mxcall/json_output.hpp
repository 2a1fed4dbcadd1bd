// The --json implementation of Output (see output.hpp).
#pragma once

#include "output.hpp"

namespace mxcall::tools {

class JsonOutput final : public Output {
 public:
  explicit JsonOutput(bool verbose) : Output(verbose) {}
  void fact(std::string_view event, const std::vector<Field>& fields, std::string_view text) override;
  void error(std::string_view message, std::string_view code) override;
  void warning(std::string_view message) override;
  void incoming(const IncomingCall& call, std::string_view action) override;
  void state(const CallView& call) override;
  void stats(const CallView& call) override;
  void peer_media(const PeerMediaState& state) override;
  void signalling(const SignallingTrace& trace) override;
  void tick(const std::vector<const CallView*>& /*live*/, std::string_view /*waiting*/) override {}
  bool wants_ticks() const override { return false; }
  void summary(int exit_code, const std::vector<const CallView*>& calls) override;
};

}  // namespace mxcall::tools
