// mxcall verify: interactive device verification (SAS) with another device, and cross-signing for this one.
// The flow is matrix-sdk-crypto's (mxcall::DeviceVerification); this file follows it, shows the emoji and asks.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <set>

#include "account.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"
#include "interrupts.hpp"
#include "mxcall/verification.hpp"
#include "output.hpp"

namespace mxcall::tools {
namespace {

using Clock = std::chrono::steady_clock;

const std::vector<OptionSpec> kOptions = {
    {"wait", "", "wait for a request from another device (ours, or @user's when given) and answer it"},
    {"bootstrap", "", "set up cross-signing for this device first (keys made here, this device signed)"},
    {"yes", "", "confirm a match without asking (for scripts that compare the emoji elsewhere)"},
    {"timeout", "SECONDS", "give up after this long (default 120; at most 600)"},
    kSessionOption,
    kTokenHomeserverOption,
    {"password-file", "FILE",
     "the account password, if the homeserver asks for it to store cross-signing keys\n"
     "(default: $MXCALL_PASSWORD, else asked on the terminal)"},
    kPassphraseOption,
    kInsecureHttpOption,
    {"json", "", "print each step as one JSON object (docs/cli.md)"},
    {"help", "", "show this help"},
};

std::string usage() {
  return "usage: mxcall verify [@user [DEVICE]] [--wait] [--bootstrap] [options]\n"
         "Verifies another device with short authentication strings: both devices show the same seven emoji (and\n"
         "three numbers) when nobody is in between; you compare them and answer. With @user and no --wait, asks\n"
         "DEVICE (or, when none is named, the user's only other device; for your own user, all your other devices)\n"
         "to verify. With --wait, waits for a request (from Element: Settings > Sessions > Verify).\n"
         "--bootstrap alone sets up cross-signing for this device, so that users who verified you trust it.\n"
         "options:\n" +
         format_options(kOptions) +
         "Exit status: 0 verified (or cross-signing set up), 2 usage error, 3 cancelled (by either side, or the\n"
         "emoji did not match), 4 timed out, 6 homeserver or encryption store error.\n";
}

// One line (text output escapes control characters, newlines included): each emoji with its name, then the numbers.
std::string emoji_line(const VerificationFlow& flow) {
  std::string text;
  for (const auto& e : flow.emoji) text += "   " + e.symbol + " " + e.name;
  if (flow.decimals.size() == 3) {
    text += "   (numbers " + std::to_string(flow.decimals[0]) + " " + std::to_string(flow.decimals[1]) + " " +
            std::to_string(flow.decimals[2]) + ")";
  }
  return text;
}

std::string joined_emoji(const VerificationFlow& flow, bool names) {
  std::string text;
  for (const auto& e : flow.emoji) text += (text.empty() ? "" : " ") + (names ? e.name : e.symbol);
  return text;
}

// Asks on standard input (a terminal or a pipe); end of input counts as no.
bool ask_match() {
  std::cerr << "Do they match? [y/N] " << std::flush;  // stderr: stdout stays JSON lines with --json
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes";
}

class VerifyRun {
 public:
  VerifyRun(DeviceVerification& verification, Output& out, bool auto_yes, Clock::time_point deadline,
            std::string device)
      : v_(verification), out_(out), auto_yes_(auto_yes), deadline_(deadline), device_(std::move(device)) {}

  // Called on the interrupt watcher's thread: the loop below cancels at its next turn (within a second).
  void interrupt() { interrupted_ = true; }

  // Follows `flow_id` (or, when empty, the first request another device sends us) to its end.
  int follow(std::string flow_id, const std::string& from_user) {
    std::optional<Clock::time_point> ready_since;
    while (Clock::now() < deadline_) {
      auto flows = v_.flows();
      if (!flows) return fail(flows.error());
      if (interrupted_) return cancel_on_interrupt(*flows, flow_id);
      for (const auto& flow : *flows) {
        if (flow_id.empty() && !flow.we_started && flow.state == "requested" &&
            (from_user.empty() ? flow.user_id == v_.user_id() : flow.user_id == from_user)) {
          flow_id = flow.flow_id;
          out_.fact("verification_request", {{"user_id", flow.user_id}, {"device_id", flow.device_id}},
                    "verification request from " + flow.user_id + " (device " + flow.device_id + "): accepting");
          if (auto accepted = v_.accept(flow); !accepted) return fail(accepted.error());
        }
        if (flow.flow_id != flow_id || flow.flow_id.empty()) continue;
        if (auto status = advance(flow, ready_since)) return *status;
      }
      auto wait = std::min<Clock::duration>(std::chrono::seconds(1), deadline_ - Clock::now());
      if (auto synced = v_.sync_once(std::chrono::duration_cast<std::chrono::milliseconds>(wait)); !synced) {
        return fail(synced.error());
      }
    }
    out_.error(flow_id.empty() ? "no verification request arrived in time" : "the verification did not finish in time",
               "timeout");
    return kExitNoAnswer;
  }

 private:
  // One look at the flow: the step that is ours to take, or the end. nullopt: keep going.
  std::optional<int> advance(const VerificationFlow& seen, std::optional<Clock::time_point>& ready_since) {
    // The library names the other device only between ready and done: keep the name once known.
    if (!seen.device_id.empty()) device_ = seen.device_id;
    VerificationFlow flow = seen;
    flow.device_id = device_;
    if (flow.state != last_state_) {
      last_state_ = flow.state;
      out_.fact("verification_state", {{"state", flow.state}, {"user_id", flow.user_id}, {"device_id", flow.device_id}},
                "verification with " + flow.user_id + ": " + flow.state);
    }
    if (flow.state == "ready") {
      // The requester starts SAS; when they asked us and have not started within 2 s, we do (Element lets either).
      if (!ready_since) ready_since = Clock::now();
      if (!sas_started_ && (flow.we_started || Clock::now() - *ready_since > std::chrono::seconds(2))) {
        sas_started_ = true;
        if (auto started = v_.start_sas(flow); !started) return fail(started.error());
      }
    } else if (flow.state == "started") {
      // Their m.key.verification.start: accepting is a no-op when the start was ours.
      if (accepted_sas_.insert(flow.flow_id).second) {
        if (auto accepted = v_.accept_sas(flow); !accepted) return fail(accepted.error());
      }
    } else if (flow.state == "keys_exchanged" && !answered_) {
      answered_ = true;
      out_.fact("sas",
                {{"emoji", joined_emoji(flow, false)},
                 {"emoji_names", joined_emoji(flow, true)},
                 {"decimals", flow.decimals.size() == 3
                                  ? std::to_string(flow.decimals[0]) + " " + std::to_string(flow.decimals[1]) + " " +
                                        std::to_string(flow.decimals[2])
                                  : std::string()}},
                "compare with the other device:" + emoji_line(flow));
      bool match = auto_yes_ || ask_match();
      auto answered = match ? v_.confirm(flow) : v_.mismatch(flow);
      if (!answered) return fail(answered.error());
      if (!match) {
        out_.error("the emoji did not match: verification cancelled (m.mismatched_sas)", "mismatch");
        return kExitRejected;
      }
    } else if (flow.state == "done") {
      out_.fact("verified", {{"user_id", flow.user_id}, {"device_id", flow.device_id}},
                "verified: " + flow.user_id + " device " + flow.device_id + " (and they verified this device)");
      return kExitOk;
    } else if (flow.state == "cancelled") {
      out_.error("the verification was cancelled " + std::string(flow.cancelled_by_us ? "here" : "by the other side") +
                     ": " + flow.cancel_reason + " (" + flow.cancel_code + ")",
                 "cancelled");
      return kExitRejected;
    }
    return std::nullopt;
  }

  int cancel_on_interrupt(const std::vector<VerificationFlow>& flows, const std::string& flow_id) {
    for (const auto& flow : flows) {
      if (!flow_id.empty() && flow.flow_id == flow_id && flow.state != "done" && flow.state != "cancelled") {
        (void)v_.cancel(flow);  // best effort: the other side times out otherwise
      }
    }
    out_.error(flow_id.empty() ? std::string("interrupted before any verification request")
                               : std::string("interrupted: the verification was cancelled here (m.user)"),
               "interrupted");
    return kExitRejected;
  }

  int fail(const Error& error) {
    out_.error(error.message, error.errcode.empty() ? matrix::to_string(error.code) : error.errcode);
    return error.code == ErrorCode::bad_request ? kExitUsage : exit_code_for(error);
  }

  DeviceVerification& v_;
  Output& out_;
  bool auto_yes_;
  Clock::time_point deadline_;
  std::string device_;  // the other device, once named (by the user or by the flow)
  std::string last_state_;
  bool sas_started_ = false;
  bool answered_ = false;
  std::set<std::string> accepted_sas_;
  std::atomic<bool> interrupted_{false};
};

int bootstrap(DeviceVerification& verification, const ParsedOptions& options, Output& out) {
  auto status = verification.bootstrap_cross_signing(env("MXCALL_PASSWORD"));
  if (!status && status.error().code == ErrorCode::wrong_password && status.error().http_status == 401 &&
      (options.has("password-file") || env("MXCALL_PASSWORD").empty())) {
    std::string why;
    auto password = read_password(options, verification.user_id(), {}, &why);
    if (!password) {
      out.error(why);
      return kExitUsage;
    }
    status = verification.bootstrap_cross_signing(*password);
  }
  if (!status) {
    out.error(status.error().message,
              status.error().errcode.empty() ? matrix::to_string(status.error().code) : status.error().errcode);
    return status.error().code == ErrorCode::bad_request ? kExitUsage : exit_code_for(status.error());
  }
  out.fact("cross_signing", {{"device_signed", status->device_signed}, {"has_master", status->has_master}},
           status->device_signed
               ? "cross-signing: this device is signed by " + verification.user_id() + "'s self-signing key"
               : std::string("cross-signing: keys uploaded, but this device is not signed yet"));
  return status->device_signed ? kExitOk : kExitHomeserver;
}

}  // namespace

int run_verify(const std::vector<std::string>& args) {
  AccountCommand command = begin_account_command(args, kOptions, "verify", usage(), 2);
  if (command.done) return *command.done;
  const ParsedOptions& options = command.options;
  Output& out = *command.out;
  const auto& positionals = options.positionals();
  std::string user = positionals.empty() ? std::string() : positionals[0];
  std::string device = positionals.size() > 1 ? positionals[1] : std::string();
  bool wait = options.has("wait");
  if (user.empty() && !wait && !options.has("bootstrap")) {
    out.error("name the user to verify (@user [DEVICE]), or give --wait or --bootstrap");
    return kExitUsage;
  }
  if (!user.empty() && user[0] != '@') {
    out.error("'" + user + "' is not a Matrix user id (@name:server)");
    return kExitUsage;
  }
  if (wait && !device.empty()) {
    out.error("--wait takes requests from any device of the user: leave DEVICE out");
    return kExitUsage;
  }
  long seconds = 120;
  if (auto value = options.value("timeout")) {
    char* end = nullptr;
    seconds = std::strtol(value->c_str(), &end, 10);
    if (end == value->c_str() || *end != '\0' || seconds < 1 || seconds > 600) {
      out.error("--timeout takes whole seconds from 1 to 600");
      return kExitUsage;
    }
  }
  SessionSource source = find_session(options);
  if (!source.error.empty()) {
    out.error(source.error);
    return source.exit_code;
  }
  std::string why;
  auto passphrase = read_passphrase(options, &why);
  if (!passphrase) {
    out.error(why);
    return kExitUsage;
  }
  PhoneConfig config = phone_config_for(source, *passphrase);
  auto verification = DeviceVerification::open(config);
  if (!verification) {
    out.error(store_error_hint(verification.error()), matrix::to_string(verification.error().code));
    return exit_code_for(verification.error());
  }
  DeviceVerification& v = **verification;
  if (options.has("bootstrap")) {
    int status = bootstrap(v, options, out);
    if (status != kExitOk || (user.empty() && !wait)) return status;
  }
  auto deadline = Clock::now() + std::chrono::seconds(seconds);
  VerifyRun run(v, out, options.has("yes"), deadline, device);
  // Ctrl-C cancels the flow (the other side is told, m.user) at the loop's next turn; a second one quits at once.
  InterruptWatcher interrupts([&run](int) { run.interrupt(); });
  if (wait) {
    if (!user.empty() && user != v.user_id()) {
      if (auto watched = v.watch(user); !watched) {
        out.error(watched.error().message, matrix::to_string(watched.error().code));
        return exit_code_for(watched.error());
      }
    }
    out.fact("waiting", {{"user_id", user.empty() ? v.user_id() : user}},
             "waiting for a verification request from " + (user.empty() ? "another of your devices" : user) +
                 " (this device: " + v.device_id() + ")");
    return run.follow({}, user.empty() ? v.user_id() : user);
  }
  auto flow = v.request(user, device);
  if (!flow) {
    out.error(flow.error().message,
              flow.error().errcode.empty() ? matrix::to_string(flow.error().code) : flow.error().errcode);
    return flow.error().code == ErrorCode::bad_request ? kExitUsage : exit_code_for(flow.error());
  }
  std::string asked = flow->device_id.empty() ? device : flow->device_id;
  out.fact("verification_request", {{"user_id", flow->user_id}, {"device_id", asked}, {"flow_id", flow->flow_id}},
           "asked " + flow->user_id + (asked.empty() ? " (all their other devices)" : " (device " + asked + ")") +
               " to verify; accept it there");
  return run.follow(flow->flow_id, user);
}

}  // namespace mxcall::tools
