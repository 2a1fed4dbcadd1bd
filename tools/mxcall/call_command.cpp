// mxcall call <@user|!room|#alias>: places one call (the runtime finds or creates the DM for a user), stays
// connected --seconds N or until the peer hangs up or Ctrl-C, then hangs up. The exit status says how it ended.
#include <unistd.h>

#include <iostream>
#include <utility>

#include "account.hpp"
#include "call_session.hpp"
#include "commands.hpp"
#include "phone_setup.hpp"

namespace mxcall::tools {
namespace {

std::vector<OptionSpec> options_spec() {
  auto specs = shared_call_options();
  specs.insert(specs.begin() + 8, {"ring-timeout", "SECONDS",
                                   "give up when nobody answers within SECONDS (default 90, the invite lifetime\n"
                                   "the spec recommends; shorter invites may be dropped by slow clients)"});
  specs.insert(specs.begin() + 9,
               {"dtmf", "DIGITS", "once connected, send DIGITS in band (RFC 4733): 0-9 * # A-D, ',' pauses 2 s"});
  specs.insert(specs.begin() + 10,
               {"share-screen", "", "once connected, share a test pattern as a screen share (m.screenshare)"});
  for (auto& spec : call_feature_options()) specs.push_back(spec);
  return specs;
}

std::string usage() {
  return "usage: mxcall call <@user:server | !room:server | #alias:server> [options]\n"
         "Places a call. A user is called in your direct-message room with them (found in m.direct, or created and\n"
         "recorded there); a room id or alias is called as is. The call stays up until --seconds pass, the peer hangs\n"
         "up, or Ctrl-C (which hangs up properly: the peer sees user_hangup; a second Ctrl-C quits at once).\n"
         "options:\n" +
         format_options(options_spec()) + kCallEnvironmentHelp +
         "Exit status: 0 connected and ended normally, 2 usage error, 3 rejected or busy, 4 not answered in time\n"
         "(or cancelled while ringing), 5 media or ICE failure, 6 login or homeserver error, 130 a second Ctrl-C.\n";
}

class CallCommand final : public CallSession {
 public:
  CallCommand(Runtime& runtime, Output& out, std::string target, std::optional<double> seconds, MediaSettings media,
              std::optional<std::string> dtmf, bool share_screen)
      : CallSession(runtime, out),
        target_(std::move(target)),
        seconds_(seconds),
        media_(std::move(media)),
        dtmf_(std::move(dtmf)),
        share_screen_(share_screen) {}

 protected:
  std::optional<int> start(Phone& phone) override {
    auto placed = phone.call(target_, {.video = media_.video, .media = media_.for_call(1)});
    if (!placed) {
      out_.error(placed.error().message, matrix::to_string(placed.error().code));
      return exit_code_for(placed.error());
    }
    out_.fact("calling", {{"target", target_}, {"call_id", placed->call_id}, {"room_id", placed->room_id}},
              "calling " + target_ + " in " + placed->room_id + (media_.video ? " (video)" : ""));
    main_ = *placed;
    out_.state(track(*placed, target_, true, media_.video));
    return std::nullopt;
  }

  void incoming(CallView& /*call*/, const IncomingCall& details) override {
    // Another call while ours is up: left ringing for the user's other devices (this command places one call).
    out_.incoming(details, "ring");
  }
  void connected(CallView& call) override {
    adopt_glare_survivor(call);
    if (main_ && call.ref == *main_ && seconds_) hang_up_after(call.ref, *seconds_);
    if (main_ && call.ref == *main_ && dtmf_ && phone_) {
      out_.fact("dtmf_sent", {{"call_id", call.ref.call_id}, {"digits", *dtmf_}}, "sending DTMF " + *dtmf_);
      phone_->send_dtmf(call.ref, *std::exchange(dtmf_, std::nullopt));  // once, not again after a reconnect
    }
    if (main_ && call.ref == *main_ && std::exchange(share_screen_, false) && phone_) {
      phone_->share_screen(call.ref, true);
    }
  }
  void ended(CallView& call) override {
    if (call.outcome && call.outcome->outcome == "replaced" && main_ && call.ref == *main_) {
      // Glare (rule 60 lesser call_id survives): the peer's call in this room goes on, answered at once (rule 61).
      out_.fact("replaced", {{"call_id", call.ref.call_id}, {"room_id", call.ref.room_id}},
                "the peer called at the same time: following the surviving call");
      main_.reset();
      replaced_room_ = call.ref.room_id;
      runtime_.post_after(kSurvivorWait, [this] {
        if (!main_) finish(kExitMedia);
      });
      return;
    }
    adopt_glare_survivor(call);
    if (main_ && call.ref == *main_) finish(call.outcome ? call.outcome->exit_code : kExitMedia);
  }
  // The peer transferred us (rule T8): the replacement call is the one this command follows now.
  void transferred(CallView& original, const CallRef& replacement) override {
    if (main_ && original.ref == *main_) main_ = replacement;
  }
  AnswerOptions replacement_media() const override { return {.video = media_.video, .media = media_.for_call(2)}; }

  int exit_code_now() const override {
    for (const CallView* call : all_calls()) {
      if (call->outcome && call->outcome->counts) return call->outcome->exit_code;
    }
    return kExitNoAnswer;  // interrupted before the call ended: it never connected
  }
  bool outgoing_calls() const override { return true; }

 private:
  static constexpr std::chrono::seconds kSurvivorWait{20};
  void adopt_glare_survivor(CallView& call) {
    if (!main_ && !replaced_room_.empty() && call.ref.room_id == replaced_room_) {
      main_ = call.ref;
      call.peer = target_;
    }
  }

  std::string target_;
  std::optional<double> seconds_;
  MediaSettings media_;
  std::optional<std::string> dtmf_;
  bool share_screen_ = false;
  std::optional<CallRef> main_;
  std::string replaced_room_;
};

bool valid_target(const std::string& target) {
  if (target.size() < 4 || (target[0] != '@' && target[0] != '!' && target[0] != '#')) return false;
  auto colon = target.find(':');
  return colon != std::string::npos && colon > 1 && colon + 1 < target.size();
}

}  // namespace

int run_call(const std::vector<std::string>& args) {
  auto specs = options_spec();
  ParseOutcome parsed = parse_options(args, specs);
  const ParsedOptions& options = parsed.options;
  bool json = options.has("json");
  auto out = Output::make("call", json, options.has("verbose"));
  if (options.has("help") && parsed.error.empty()) {
    std::cout << usage();
    return kExitOk;
  }
  std::string error = parsed.error;
  if (error.empty() && options.positionals().size() != 1) {
    error = options.positionals().empty() ? "whom to call? give @user:server, !room:server or #alias:server"
                                          : "give one target to call";
  }
  if (error.empty() && !valid_target(options.positionals()[0])) {
    error = "'" + options.positionals()[0] +
            "' is not a user, room id or alias; give @user:server, !room:server or #alias:server";
  }
  std::optional<double> seconds, ring_timeout;
  if (error.empty()) seconds = number_option(options, "seconds", 0.1, 1e7, &error);
  if (error.empty()) ring_timeout = number_option(options, "ring-timeout", 5, 3600, &error);
  std::optional<MediaSettings> media;
  if (error.empty()) media = media_settings(options, &error);
  std::optional<FeatureSettings> features;
  if (error.empty()) features = feature_settings(options, ::isatty(STDIN_FILENO) != 0, &error);
  std::optional<std::string> dtmf = options.value("dtmf");
  if (error.empty() && dtmf) {
    if (auto problem = protocol::dtmf_problem({{}, *dtmf})) error = "--dtmf: " + *problem;
  }
  auto config = phone_config_or_exit(*out, options, error, "call");
  if (auto* status = std::get_if<int>(&config)) return *status;
  auto& phone_config = std::get<PhoneConfig>(config);
  if (ring_timeout) phone_config.timeouts.invite_lifetime_ms = static_cast<std::uint64_t>(*ring_timeout * 1000);
  phone_config.transfers = features->transfers;
  phone_config.transfer_media = media->for_call(2);

  Runtime runtime;
  CallCommand session(runtime, *out, options.positionals()[0], seconds, std::move(*media), std::move(dtmf),
                      options.has("share-screen"));
  session.use_features(std::move(*features));
  return session.connect_and_run(phone_config);
}

}  // namespace mxcall::tools
