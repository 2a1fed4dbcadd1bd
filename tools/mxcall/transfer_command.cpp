// mxcall transfer <@peer> <@target>: calls @peer and, once connected, transfers it to @target (MSC2747, rule T3):
// one m.call.replaces with create_call, so @peer places the new call to @target. Then waits for @peer to end this
// call (it does once the new call connects, rule T8) or to refuse the transfer (m.call.reject_replacement, rule T9).
#include <unistd.h>

#include <iostream>

#include "account.hpp"
#include "call_session.hpp"
#include "commands.hpp"
#include "phone_setup.hpp"

namespace mxcall::tools {
namespace {

std::vector<OptionSpec> options_spec() {
  auto specs = shared_call_options();
  specs.insert(specs.begin(), {{"after", "SECONDS", "talk this long once connected before transferring (default 1)"},
                               {"transfer-timeout", "SECONDS",
                                "hang up (exit status 4) when the peer has neither ended the call nor refused the\n"
                                "transfer within SECONDS of it (default 60)"}});
  for (auto& spec : call_feature_options()) {
    if (spec.name != "allow-transfer") specs.push_back(spec);
  }
  return specs;
}

std::string usage() {
  return "usage: mxcall transfer <@peer:server> <@target:server> [options]\n"
         "Calls @peer (in your direct-message room with them) and, once connected, transfers the call to @target\n"
         "(MSC2747 m.call.replaces with create_call: @peer places a new call to @target, then ends this one).\n"
         "@peer must advertise m.call.transferee (mxcall does with --allow-transfer or on a terminal; Element does\n"
         "not act on transfers).\n"
         "options:\n" +
         format_options(options_spec()) + kCallEnvironmentHelp +
         "Exit status: 0 the peer took the transfer and ended this call, 2 usage error, 3 the call or the transfer\n"
         "was refused (or the peer cannot be transferred), 4 not answered or no decision within --transfer-timeout,\n"
         "5 media or ICE failure, 6 login or homeserver error, 130 a second Ctrl-C.\n";
}

class TransferCommand final : public CallSession {
 public:
  TransferCommand(Runtime& runtime, Output& out, std::string peer, std::string target, double after, double timeout,
                  MediaSettings media)
      : CallSession(runtime, out),
        peer_(std::move(peer)),
        target_(std::move(target)),
        after_(after),
        timeout_(timeout),
        media_(std::move(media)) {}

 protected:
  std::optional<int> start(Phone& phone) override {
    auto placed = phone.call(peer_, {.video = media_.video, .media = media_.for_call(1)});
    if (!placed) {
      out_.error(placed.error().message, matrix::to_string(placed.error().code));
      return exit_code_for(placed.error());
    }
    main_ = *placed;
    out_.fact("calling", {{"target", peer_}, {"call_id", placed->call_id}, {"room_id", placed->room_id}},
              "calling " + peer_ + " to transfer it to " + target_);
    out_.state(track(*placed, peer_, true, media_.video));
    return std::nullopt;
  }

  void incoming(CallView& /*call*/, const IncomingCall& details) override { out_.incoming(details, "ring"); }

  void connected(CallView& call) override {
    if (!main_ || call.ref != *main_ || transfer_sent_) return;
    runtime_.post_after(std::chrono::milliseconds{static_cast<std::int64_t>(after_ * 1000)}, [this] {
      if (finishing() || !main_ || transfer_sent_) return;
      transfer_sent_ = true;
      auto new_call = phone_->transfer(*main_, {.target_user = target_,
                                                .target_display_name = std::nullopt,
                                                .peer_places_call = true,
                                                .new_call_id = std::nullopt});
      out_.fact("transferring", {{"call_id", main_->call_id}, {"target_user", target_}, {"new_call_id", *new_call}},
                "transferring " + peer_ + " to " + target_);
      runtime_.post_after(std::chrono::milliseconds{static_cast<std::int64_t>(timeout_ * 1000)}, [this] {
        if (finishing()) return;
        out_.fact("transfer_timeout", {{"seconds", timeout_}}, "the peer did not act on the transfer in time");
        finish(kExitNoAnswer);
      });
    });
  }

  void transfer_update(const TransferUpdate& update) override {
    if (!main_ || update.call != *main_) return;
    if (update.status == TransferStatus::rejected_by_peer) finish(kExitRejected);
  }

  void refused(const CallRef& call, const std::string& /*why*/) override {
    if (transfer_sent_ && main_ && call == *main_) finish(kExitRejected);  // e.g. no m.call.transferee (rule T10)
  }

  void ended(CallView& call) override {
    if (!main_ || call.ref != *main_) return;
    if (transfer_sent_ && call.outcome && call.outcome->exit_code == kExitOk && !call.ended_locally) {
      out_.fact("transferred", {{"call_id", call.ref.call_id}, {"target_user", target_}},
                peer_ + " took the transfer and ended this call");
      return finish(kExitOk);
    }
    finish(call.outcome && call.outcome->exit_code != kExitOk ? call.outcome->exit_code : kExitRejected);
  }

  int exit_code_now() const override { return kExitNoAnswer; }  // interrupted before the peer decided
  bool outgoing_calls() const override { return true; }

 private:
  std::string peer_;
  std::string target_;
  double after_;
  double timeout_;
  MediaSettings media_;
  std::optional<CallRef> main_;
  bool transfer_sent_ = false;
};

bool user_id(const std::string& s) { return s.size() >= 4 && s[0] == '@' && s.find(':') != std::string::npos; }

}  // namespace

int run_transfer(const std::vector<std::string>& args) {
  auto specs = options_spec();
  ParseOutcome parsed = parse_options(args, specs);
  const ParsedOptions& options = parsed.options;
  auto out = Output::make("transfer", options.has("json"), options.has("verbose"));
  if (options.has("help") && parsed.error.empty()) {
    std::cout << usage();
    return kExitOk;
  }
  std::string error = parsed.error;
  const auto& positionals = options.positionals();
  if (error.empty() && positionals.size() != 2)
    error = "give the peer to call and the target: @peer:server @target:server";
  if (error.empty() && (!user_id(positionals[0]) || !user_id(positionals[1]))) {
    error = "the peer and the target are user ids, @user:server";
  }
  if (error.empty() && positionals[0] == positionals[1]) error = "the peer and the target are the same user";
  std::optional<double> after = 1, timeout = 60;
  if (error.empty() && options.has("after")) after = number_option(options, "after", 0, 1e6, &error);
  if (error.empty() && options.has("transfer-timeout")) {
    timeout = number_option(options, "transfer-timeout", 1, 1e6, &error);
  }
  std::optional<MediaSettings> media;
  if (error.empty()) media = media_settings(options, &error);
  std::optional<FeatureSettings> features;
  if (error.empty()) features = feature_settings(options, false, &error);
  auto config = phone_config_or_exit(*out, options, error, "transfer");
  if (auto* status = std::get_if<int>(&config)) return *status;

  Runtime runtime;
  TransferCommand session(runtime, *out, positionals[0], positionals[1], *after, *timeout, std::move(*media));
  session.use_features(std::move(*features));
  return session.connect_and_run(std::get<PhoneConfig>(config));
}

}  // namespace mxcall::tools
