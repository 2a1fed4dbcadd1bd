// What `call`, `answer` and `transfer` share about call features: the transfer policy (--allow-transfer, else asked
// on a terminal, else declined), the identity a gateway asserts (--identity, --identity-id), and the question put to
// the terminal when the peer asks to transfer the call.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cli_options.hpp"
#include "mxcall/phone.hpp"

namespace mxcall::tools {

std::vector<OptionSpec> call_feature_options();

struct FeatureSettings {
  TransferPolicy transfers = TransferPolicy::decline;
  std::optional<Identity> identity;  // asserted once each call is set up (MSC3086)
};

// `stdin_is_terminal` decides the default policy: ask on a terminal, decline elsewhere (CI, pipes).
std::optional<FeatureSettings> feature_settings(const ParsedOptions& options, bool stdin_is_terminal,
                                                std::string* error);

// One yes/no question on standard input, read without blocking the loop: the answer is polled every 100 ms, and
// no answer within the time limit means no.
class TerminalQuestion {
 public:
  explicit TerminalQuestion(Runtime& runtime) : runtime_(runtime) {}
  ~TerminalQuestion() { *alive_ = false; }
  TerminalQuestion(const TerminalQuestion&) = delete;
  TerminalQuestion& operator=(const TerminalQuestion&) = delete;

  // Replaces a question still open (which is answered no).
  void ask(std::chrono::seconds limit, std::function<void(bool yes)> answer);

 private:
  void poll();

  Runtime& runtime_;
  std::function<void(bool)> answer_;
  std::chrono::steady_clock::time_point deadline_{};
  std::string line_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// "Carol (@carol:x)", "@carol:x" or "Carol": how an identity is shown.
std::string describe_identity(const Identity& identity);

}  // namespace mxcall::tools
