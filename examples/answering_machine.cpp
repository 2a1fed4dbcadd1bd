// An answering machine on mxcall's public API: it answers every call, plays a greeting (a WAV file), records the
// caller to a WAV file per call, and hangs up after --seconds. Built against the installed package:
//
//   cmake --install build --prefix /opt/mxcall
//   cmake -S examples -B build-examples -DCMAKE_PREFIX_PATH=/opt/mxcall && cmake --build build-examples
//   MXCALL_PASSWORD=... build-examples/answering_machine https://matrix.example.org @machine:example.org \
//       --greeting greeting.wav --record-dir recordings
//
// It joins rooms it is invited to (so a caller can start a direct chat with it) and runs until Ctrl-C, or until it
// has taken --calls calls.
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <mxcall/phone.hpp>
#include <string>

namespace {

using namespace std::chrono_literals;

struct Options {
  std::string homeserver, user, password;
  std::string greeting;
  std::string record_dir = ".";
  int seconds = 20;  // how long a call lasts before the machine hangs up
  int calls = 0;     // 0: no limit
  bool loopback_only = false;
};

volatile std::sig_atomic_t interrupted = 0;

class Machine final : public mxcall::PhoneObserver {
 public:
  Machine(mxcall::Runtime& runtime, const Options& options) : runtime_(runtime), options_(options) {}
  void attach(mxcall::Phone& phone) { phone_ = &phone; }

  void on_incoming_call(const mxcall::IncomingCall& call) override {
    mxcall::AnswerOptions answer;  // voice only, whatever the offer: a machine has no camera
    if (!options_.greeting.empty()) answer.media.audio_source = mxcall::audio_source::WavFile{options_.greeting};
    std::string path = (std::filesystem::path(options_.record_dir) / (call.call.call_id + ".wav")).string();
    answer.media.audio_sink = mxcall::audio_sink::WavFile{path};
    recordings_[call.call] = path;
    std::cout << "answering " << call.caller << " in " << call.call.room_id << ", recording to " << path << std::endl;
    phone_->answer(call.call, answer);
  }

  void on_call_state(const mxcall::CallStateChange& change) override {
    if (change.state == mxcall::CallState::connected) {
      std::cout << "connected: " << change.call.call_id << std::endl;
      runtime_.post_after(std::chrono::seconds{options_.seconds}, [this, call = change.call] { phone_->hangup(call); });
    }
    if (change.state == mxcall::CallState::ended && recordings_.contains(change.call)) {
      std::cout << "ended (" << change.reason << "): " << recordings_[change.call] << std::endl;
      recordings_.erase(change.call);
      if (options_.calls > 0 && ++taken_ >= options_.calls) runtime_.quit();
    }
  }

  void on_fatal_error(const mxcall::Error& error) override {
    std::cerr << "answering_machine: " << error.message << std::endl;
    runtime_.quit();
  }
  void on_notice(const std::string& message) override { std::cout << message << std::endl; }

 private:
  mxcall::Runtime& runtime_;
  const Options& options_;
  mxcall::Phone* phone_ = nullptr;
  std::map<mxcall::CallRef, std::string> recordings_;
  int taken_ = 0;
};

int usage() {
  std::cerr << "usage: answering_machine HOMESERVER USER [--greeting WAV] [--record-dir DIR] [--seconds N]\n"
               "                         [--calls N] [--loopback-only]\n"
               "  The password comes from $MXCALL_PASSWORD.\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  int positional = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (arg == "--greeting") {
      options.greeting = value();
    } else if (arg == "--record-dir") {
      options.record_dir = value();
    } else if (arg == "--seconds") {
      options.seconds = std::atoi(value().c_str());
    } else if (arg == "--calls") {
      options.calls = std::atoi(value().c_str());
    } else if (arg == "--loopback-only") {
      options.loopback_only = true;
    } else if (positional == 0 && !arg.starts_with("--")) {
      options.homeserver = arg, ++positional;
    } else if (positional == 1 && !arg.starts_with("--")) {
      options.user = arg, ++positional;
    } else {
      return usage();
    }
  }
  const char* password = std::getenv("MXCALL_PASSWORD");
  if (positional != 2 || !password || options.seconds <= 0) return usage();
  options.password = password;

  mxcall::Runtime runtime;
  mxcall::PhoneConfig config;
  config.homeserver = options.homeserver;
  config.user = options.user;
  config.password = options.password;
  config.join_invites = true;
  config.media_defaults.loopback_only = options.loopback_only;  // tests: ICE on 127.0.0.1 only
  auto phone = mxcall::Phone::connect(runtime, config);
  if (!phone) {
    std::cerr << "answering_machine: " << phone.error().message << std::endl;
    return 1;
  }
  Machine machine(runtime, options);
  machine.attach(**phone);
  (*phone)->set_observer(&machine);
  std::signal(SIGINT, [](int) { interrupted = 1; });
  std::signal(SIGTERM, [](int) { interrupted = 1; });
  std::cout << "answering calls for " << (*phone)->user_id() << std::endl;
  // A signal only sets a flag; run_until looks at it between loop iterations (at least every 20 ms).
  runtime.run_until([] { return interrupted != 0; }, std::chrono::hours{24 * 365});
  (*phone)->set_observer(nullptr);
  return 0;
}
