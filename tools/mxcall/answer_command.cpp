// mxcall answer: waits for calls and answers (--auto), rejects (--reject) or lets them ring. Joins the rooms it is
// invited to (all, or only --from users'): an Element user calling a bot first invites it to a new DM.
// --max-calls lets several devices of one user share the load with Matrix as the coordinator: a device at capacity
// leaves the call ringing, another device answers, the caller's select_answer picks one, and the others see
// answered_elsewhere (rule 37 answered elsewhere).
#include <algorithm>
#include <deque>
#include <iostream>
#include <set>

#include <unistd.h>

#include "call_session.hpp"
#include "commands.hpp"
#include "phone_setup.hpp"

namespace mxcall::tools {
namespace {

std::vector<OptionSpec> options_spec() {
  std::vector<OptionSpec> specs = {
      {"auto", "", "answer every call (within --max-calls)"},
      {"reject", "", "reject every call (m.call.reject, or a hangup for a v0 caller)"},
      {"from", "USER",
       "only calls and room invites from USER (repeatable, or comma-separated);\n"
       "calls from others are left ringing, their invites are not joined",
       true},
      {"count", "K", "stop after K calls answered, rejected or (without --auto/--reject) rung here have ended"},
      {"max-calls", "M",
       "at most M calls answered at once (default 1); a call beyond that is left ringing\n"
       "here so that another device of the same user answers it"},
      {"timeout", "SECONDS", "stop (exit status 4) when no call has come within SECONDS"},
      {"busy", "",
       "with --auto: decline a call beyond --max-calls as busy (m.call.reject with reason user_busy,\n"
       "or a user_busy hangup to a v0 caller) instead of leaving it ringing"},
  };
  for (auto& spec : shared_call_options()) specs.push_back(spec);
  for (auto& spec : call_feature_options()) specs.push_back(spec);
  return specs;
}

std::string usage() {
  return "usage: mxcall answer [--auto | --reject] [options]\n"
         "Waits for calls to this user (in every room it is in, and in the rooms it is invited to, which it joins)\n"
         "and answers them, rejects them, or lets them ring (the default: shown, answered elsewhere or not).\n"
         "Runs until --count calls have ended, --timeout passes without a call, or Ctrl-C (which hangs up properly:\n"
         "the peer sees user_hangup; a second Ctrl-C quits at once).\n"
         "options:\n" +
         format_options(options_spec()) + kCallEnvironmentHelp +
         "Exit status: 0 every call handled connected and ended normally (or was rejected as asked), 2 usage error,\n"
         "3 the caller rejected or was busy, 4 missed (the caller gave up first) or no call within --timeout,\n"
         "5 media or ICE failure, 6 login or homeserver error, 130 a second Ctrl-C. With several calls: the\n"
         "status of the first call that did not end normally.\n";
}

struct AnswerPolicy {
  bool auto_answer = false;
  bool reject = false;
  std::set<std::string> from;
  std::optional<int> count;
  int max_calls = 1;
  bool busy = false;  // beyond max_calls: declined as busy, not left ringing
  std::optional<double> timeout;
  std::optional<double> seconds;
  MediaSettings media;
};

class AnswerCommand final : public CallSession {
 public:
  AnswerCommand(Runtime& runtime, Output& out, AnswerPolicy policy)
      : CallSession(runtime, out), policy_(std::move(policy)) {}

 protected:
  std::optional<int> start(Phone& phone) override {
    user_id_ = phone.user_id();
    std::string mode = policy_.auto_answer ? "auto" : policy_.reject ? "reject" : "ring";
    std::string doing = policy_.auto_answer ? "answering" : policy_.reject ? "rejecting" : "letting ring";
    out_.fact("waiting",
              {{"user_id", phone.user_id()},
               {"device_id", phone.device_id()},
               {"mode", mode},
               {"max_calls", static_cast<std::int64_t>(policy_.max_calls)}},
              "waiting for calls to " + phone.user_id() + " (device " + phone.device_id() + "), " + doing + " them");
    if (policy_.timeout) {
      runtime_.post_after(std::chrono::milliseconds{static_cast<std::int64_t>(*policy_.timeout * 1000)}, [this] {
        if (calls_seen_ == 0) {
          out_.fact("timeout", {{"seconds", *policy_.timeout}}, "no call came within --timeout");
          finish(kExitNoAnswer);
        }
      });
    }
    return std::nullopt;
  }

  void incoming(CallView& call, const IncomingCall& details) override {
    if (!policy_.from.empty() && policy_.from.count(details.caller) == 0) {
      out_.incoming(details, "ignore_sender");
      return;
    }
    ++calls_seen_;
    handled_.insert(call.ref);
    if (policy_.reject) {
      out_.incoming(details, "reject");
      phone_->reject(details.call);
    } else if (!policy_.auto_answer) {
      out_.incoming(details, "ring");
    } else if (answering_.size() >= static_cast<std::size_t>(policy_.max_calls) && policy_.busy) {
      out_.incoming(details, "busy");
      handled_.erase(call.ref);  // not one of ours to count: declined as asked
      phone_->busy(details.call);
    } else if (answering_.size() >= static_cast<std::size_t>(policy_.max_calls)) {
      out_.incoming(details, "at_capacity");
      waiting_.push_back(details);
    } else {
      out_.incoming(details, "answer");
      answer(details);
    }
  }

  void connected(CallView& call) override {
    if (answering_.count(call.ref) != 0 && policy_.seconds) hang_up_after(call.ref, *policy_.seconds);
  }

  void ended(CallView& call) override {
    bool was_answering = answering_.erase(call.ref) != 0;
    bool ours = handled_.count(call.ref) != 0;
    bool counts = call.outcome && call.outcome->counts;
    // A call left ringing at capacity and answered by another device was never ours.
    if (ours && (was_answering || !policy_.auto_answer) && counts) {
      ++ended_;
      if (call.outcome->exit_code != kExitOk && first_failure_ == kExitOk) first_failure_ = call.outcome->exit_code;
    } else if (ours) {
      --calls_seen_;
      handled_.erase(call.ref);
    }
    if (policy_.count && ended_ >= *policy_.count) {
      finish(first_failure_);
      return;
    }
    if (was_answering) answer_next_waiting();
  }

  // The replacement of a transferred call takes its place in --max-calls and --count (rule T8).
  void transferred(CallView& original, const CallRef& replacement) override {
    if (answering_.erase(original.ref) != 0) answering_.insert(replacement);
    if (handled_.count(original.ref) != 0) handled_.insert(replacement);
  }
  AnswerOptions replacement_media() const override {
    return {.video = policy_.media.video, .media = policy_.media.for_call(answered_ + 1)};
  }

  int exit_code_now() const override { return first_failure_; }
  bool outgoing_calls() const override { return false; }

  std::string waiting_text() const override {
    return "waiting for calls to " + user_id_ + " (" + std::to_string(ended_) + " handled)";
  }

 private:
  void answer(const IncomingCall& details) {
    answering_.insert(details.call);
    ++answered_;
    phone_->answer(details.call, {.video = policy_.media.video, .media = policy_.media.for_call(answered_)});
  }

  // Capacity freed: the oldest call left ringing here that still rings is answered now.
  void answer_next_waiting() {
    while (!waiting_.empty() && answering_.size() < static_cast<std::size_t>(policy_.max_calls)) {
      IncomingCall next = waiting_.front();
      waiting_.pop_front();
      CallView* call = find(next.call);
      if (call == nullptr || (call->state != CallState::ringing && call->state != CallState::ringing_silent)) continue;
      out_.incoming(next, "answer");
      answer(next);
    }
  }

  AnswerPolicy policy_;
  std::string user_id_;
  std::set<CallRef> handled_;    // calls this device decided about (answered, rejected, rang)
  std::set<CallRef> answering_;  // answered here and not ended: what --max-calls counts
  std::deque<IncomingCall> waiting_;
  int answered_ = 0;
  int calls_seen_ = 0;
  int ended_ = 0;
  int first_failure_ = kExitOk;
};

}  // namespace

int run_answer(const std::vector<std::string>& args) {
  auto specs = options_spec();
  ParseOutcome parsed = parse_options(args, specs);
  const ParsedOptions& options = parsed.options;
  bool json = options.has("json");
  auto out = Output::make("answer", json, options.has("verbose"));
  if (options.has("help") && parsed.error.empty()) {
    std::cout << usage();
    return kExitOk;
  }
  std::string error = parsed.error;
  if (error.empty() && !options.positionals().empty()) error = "answer takes no arguments, only options";
  if (error.empty() && options.has("auto") && options.has("reject")) error = "give --auto or --reject, not both";
  if (error.empty() && options.has("busy") && !options.has("auto")) {
    error = "--busy declines calls beyond --max-calls, so it goes with --auto";
  }
  AnswerPolicy policy;
  policy.auto_answer = options.has("auto");
  policy.reject = options.has("reject");
  policy.busy = options.has("busy");
  for (const std::string& user : options.list("from")) {
    if (error.empty() && (user.size() < 4 || user[0] != '@' || user.find(':') == std::string::npos)) {
      error = "--from " + user + ": give a full user id, @user:server";
    }
    policy.from.insert(user);
  }
  if (error.empty()) {
    if (auto count = number_option(options, "count", 1, 1e9, &error)) policy.count = static_cast<int>(*count);
  }
  if (error.empty()) {
    if (auto max = number_option(options, "max-calls", 1, 1000, &error)) policy.max_calls = static_cast<int>(*max);
  }
  if (error.empty()) policy.timeout = number_option(options, "timeout", 0.1, 1e7, &error);
  if (error.empty()) policy.seconds = number_option(options, "seconds", 0.1, 1e7, &error);
  if (error.empty()) {
    auto media = media_settings(options, &error);
    if (media) policy.media = std::move(*media);
  }
  std::optional<FeatureSettings> features;
  if (error.empty()) features = feature_settings(options, ::isatty(STDIN_FILENO) != 0, &error);
  auto config = phone_config_or_exit(*out, options, error, "answer");
  if (auto* status = std::get_if<int>(&config)) return *status;
  auto& phone_config = std::get<PhoneConfig>(config);
  phone_config.join_invites = true;
  phone_config.join_invites_from.assign(policy.from.begin(), policy.from.end());
  phone_config.transfers = features->transfers;
  phone_config.transfer_media = policy.media.for_call(1);

  Runtime runtime;
  AnswerCommand session(runtime, *out, policy);
  session.use_features(std::move(*features));
  return session.connect_and_run(phone_config);
}

}  // namespace mxcall::tools
