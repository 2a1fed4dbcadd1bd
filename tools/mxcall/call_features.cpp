#include "call_features.hpp"

#include <poll.h>
#include <unistd.h>

namespace mxcall::tools {

std::vector<OptionSpec> call_feature_options() {
  return {
      {"allow-transfer", "",
       "accept when the peer transfers the call (MSC2747): the new call is placed or answered, and this one\n"
       "ends once it connects; without it a terminal is asked, and elsewhere the transfer is declined"},
      {"identity", "NAME", "tell the peer who is really on the line (MSC3086, for gateways): NAME is shown to it"},
      {"identity-id", "ID", "with --identity: the asserted id too (a user id, or e.g. tel:+441234567890)"},
  };
}

std::optional<FeatureSettings> feature_settings(const ParsedOptions& options, bool stdin_is_terminal,
                                                std::string* error) {
  FeatureSettings out;
  out.transfers = options.has("allow-transfer") ? TransferPolicy::accept
                  : stdin_is_terminal           ? TransferPolicy::ask
                                                : TransferPolicy::decline;
  auto name = options.value("identity");
  auto id = options.value("identity-id");
  if (id && !name) {
    *error = "--identity-id goes with --identity NAME";
    return std::nullopt;
  }
  if ((name && name->empty()) || (id && id->empty())) {
    *error = "--identity and --identity-id need a non-empty value";
    return std::nullopt;
  }
  if (name) out.identity = Identity{id, *name, std::nullopt};
  return out;
}

void TerminalQuestion::ask(std::chrono::seconds limit, std::function<void(bool yes)> answer) {
  bool polling = static_cast<bool>(answer_);
  if (answer_) answer_(false);
  answer_ = std::move(answer);
  deadline_ = std::chrono::steady_clock::now() + limit;
  line_.clear();
  if (!polling) poll();
}

void TerminalQuestion::poll() {
  if (!answer_) return;
  for (;;) {
    pollfd in{STDIN_FILENO, POLLIN, 0};
    if (::poll(&in, 1, 0) <= 0 || (in.revents & (POLLIN | POLLHUP)) == 0) break;
    char c = 0;
    if (::read(STDIN_FILENO, &c, 1) != 1) {  // end of input: no
      c = '\n';
    }
    if (c != '\n') {
      if (line_.size() < 64) line_ += c;
      continue;
    }
    auto answer = std::move(answer_);
    answer_ = nullptr;
    answer(line_ == "y" || line_ == "Y" || line_ == "yes");
    return;
  }
  if (std::chrono::steady_clock::now() >= deadline_) {
    auto answer = std::move(answer_);
    answer_ = nullptr;
    answer(false);
    return;
  }
  runtime_.post_after(std::chrono::milliseconds{100}, [this, alive = alive_] {
    if (*alive) poll();
  });
}

std::string describe_identity(const Identity& identity) {
  std::string out = identity.display_name.value_or("");
  if (identity.id) out += out.empty() ? *identity.id : " (" + *identity.id + ")";
  return out.empty() ? "someone unnamed" : out;
}

}  // namespace mxcall::tools
