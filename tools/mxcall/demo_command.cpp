// `mxcall demo`: alice calls bob through an InProcessRoom; each sends its own tone and records what it hears. The
// recordings decide the verdict: each must hold the other side's tone (within 2%).
#include "demo_command.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "demo_report.hpp"
#include "mxcall/media/audio_analysis.hpp"

namespace mxcall::tools {

namespace {

using namespace std::chrono_literals;

constexpr double kCallerTone = 440.0;
constexpr double kCalleeTone = 660.0;

constexpr std::string_view kUsage =
    "usage: mxcall demo [--video] [--seconds N] [--json]\n"
    "  Two parties in this process (alice calls bob) connected through an in-process room, with real media over\n"
    "  127.0.0.1 only. Shows each signalling event, the call states and a level meter per direction, then the setup\n"
    "  phases and what each direction carried. alice sends 440 Hz, bob 660 Hz.\n"
    "  --video      a video call (test pattern both ways)\n"
    "  --seconds N  how long the connected call lasts before alice hangs up (default 5, 1..3600)\n"
    "  --json       one JSON object per line\n"
    "Exit status: 0 each direction carried the other side's tone, 1 it did not, 2 usage error.\n";

struct Options {
  bool video = false;
  int seconds = 5;
  bool json = false;
};

std::optional<Options> parse(const std::vector<std::string>& args, bool& help) {
  Options options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      help = true;
      return std::nullopt;
    }
    if (a == "--video") {
      options.video = true;
    } else if (a == "--json") {
      options.json = true;
    } else if (a == "--seconds" && i + 1 < args.size()) {
      char* end = nullptr;
      long n = std::strtol(args[++i].c_str(), &end, 10);
      if (*end != '\0' || n < 1 || n > 3600) {
        std::cerr << "mxcall demo: --seconds wants a whole number from 1 to 3600, not '" << args[i] << "'\n";
        return std::nullopt;
      }
      options.seconds = static_cast<int>(n);
    } else {
      std::cerr << "mxcall demo: unknown option '" << a << "'\n";
      return std::nullopt;
    }
  }
  return options;
}

// One party: its phone's observer, feeding the report and the setup phases.
class Party final : public PhoneObserver {
 public:
  Party(std::string name, double tone, DemoReport& report, SetupPhases& phases, bool caller)
      : report_(report), phases_(phases), caller_(caller) {
    record.name = std::move(name);
    record.tone_hz = tone;
  }

  void on_incoming_call(const IncomingCall& call) override {
    report_.incoming(record, call);
    incoming = call;
    if (!phases_.ringing) phases_.ringing = report_.since_placed_ms();
  }
  void on_call_state(const CallStateChange& change) override {
    report_.state(record, change);
    record.state = change.state;
    if (change.state == CallState::ended) record.end_reason = change.reason;
    if (change.state == CallState::connected) {
      auto& slot = caller_ ? phases_.caller_connected : phases_.callee_connected;
      if (!slot) slot = report_.since_placed_ms();
    }
  }
  void on_peer_media_state(const PeerMediaState& state) override { report_.peer_state(record, state); }
  void on_stats(const CallStats& stats) override {
    record.last_stats = stats;
    auto& slot = caller_ ? phases_.caller_first_audio : phases_.callee_first_audio;
    if (!slot && stats.audio_samples_decoded > 0) slot = report_.since_placed_ms();
  }
  void on_signalling(const SignallingTrace& trace) override {
    report_.signalling(record, trace);
    if (trace.direction != SignallingTrace::Direction::sent || !trace.detail.empty()) return;
    if (caller_ && trace.type == "m.call.invite" && !phases_.invite_sent)
      phases_.invite_sent = report_.since_placed_ms();
    if (!caller_ && trace.type == "m.call.answer" && !phases_.answer_sent) {
      phases_.answer_sent = report_.since_placed_ms();
    }
  }
  void on_action_refused(const CallRef&, const std::string& why) override { report_.note(record.name + ": " + why); }
  void on_notice(const std::string& message) override { report_.note(record.name + ": " + message); }

  PartyRecord record;
  std::optional<IncomingCall> incoming;

 private:
  DemoReport& report_;
  SetupPhases& phases_;
  bool caller_;
};

// The recordings live in a fresh directory, removed at the end.
struct TempDir {
  std::string path;
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "mxcall-demo-XXXXXX").string();
    if (char* made = mkdtemp(pattern.data())) path = made;
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path.empty()) std::filesystem::remove_all(path, ignored);
  }
};

MediaChoice media_for(double tone, const std::string& recording, bool video) {
  MediaChoice choice;
  choice.audio_source = audio_source::Tone{tone, 0.3};
  choice.audio_sink = audio_sink::WavFile{recording};
  choice.video_source = video ? VideoSource{video_source::TestPattern{}} : VideoSource{std::monostate{}};
  return choice;
}

DemoReport::Direction verdict(const Party& from, const Party& to, const std::string& recording) {
  DemoReport::Direction d;
  d.from = from.record.name;
  d.to = to.record.name;
  d.sent_hz = from.record.tone_hz;
  d.packets_sent = from.record.last_stats.sent.packets;
  d.packets_received = to.record.last_stats.received.packets;
  d.samples_decoded = to.record.last_stats.audio_samples_decoded;
  int rate = 0;
  auto samples = media::read_wav(recording, &rate);
  if (rate > 0 && samples.size() >= static_cast<std::size_t>(rate) / 2) {
    d.heard_hz = media::dominant_frequency(samples, rate);
  }
  d.ok = d.heard_hz > 0 && media::same_tone(d.heard_hz, d.sent_hz);
  return d;
}

}  // namespace

int run_demo(const std::vector<std::string>& args) {
  bool help = false;
  auto options = parse(args, help);
  if (help) {
    std::cout << kUsage;
    return 0;
  }
  if (!options) {
    std::cerr << kUsage;
    return 2;
  }
  DemoFormat format = options->json                                           ? DemoFormat::json
                      : isatty(STDOUT_FILENO) && std::getenv("CI") == nullptr ? DemoFormat::terminal
                                                                              : DemoFormat::plain;
  TempDir dir;
  if (dir.path.empty()) {
    std::cerr << "mxcall demo: cannot make a directory for the recordings under "
              << std::filesystem::temp_directory_path() << "; set TMPDIR to a writable directory\n";
    return 1;
  }
  const std::string alice_heard = dir.path + "/alice-heard.wav", bob_heard = dir.path + "/bob-heard.wav";

  DemoReport report(std::cout, format);
  SetupPhases phases;
  Party alice_party("alice", kCallerTone, report, phases, true);
  Party bob_party("bob", kCalleeTone, report, phases, false);

  Runtime runtime;
  InProcessRoom room(runtime, "!demo:mxcall.invalid");
  PhoneConfig config;
  config.media_defaults.loopback_only = true;  // ICE on 127.0.0.1 only: the demo never leaves this machine
  config.stats_interval = 50ms;
  auto alice = Phone::in_room(runtime, room, "@alice:mxcall.invalid", "ALICEDEMO", config);
  auto bob = Phone::in_room(runtime, room, "@bob:mxcall.invalid", "BOBDEMO", config);
  alice->set_observer(&alice_party);
  bob->set_observer(&bob_party);

  report.start_call(std::chrono::steady_clock::now());
  auto call = alice->call("@bob:mxcall.invalid",
                          CallOptions{options->video, media_for(kCallerTone, alice_heard, options->video)});
  if (!call) {
    std::cerr << "mxcall demo: " << call.error().message << '\n';
    return 1;
  }
  bool rang = runtime.run_until([&] { return bob_party.incoming.has_value(); }, 10s);
  if (rang) {
    bob->answer(bob_party.incoming->call,
                AnswerOptions{options->video, media_for(kCalleeTone, bob_heard, options->video)});
  }
  auto connected = [&] {
    return alice_party.record.state == CallState::connected && bob_party.record.state == CallState::connected;
  };
  bool up = rang && runtime.run_until(connected, 20s);
  if (up) {
    // The call runs for --seconds; the meter redraws at each stats round.
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds{options->seconds};
    runtime.run_until(
        [&] {
          report.levels(alice_party.record, bob_party.record);
          return std::chrono::steady_clock::now() >= until || alice_party.record.state == CallState::ended;
        },
        std::chrono::seconds{options->seconds + 1});
  } else {
    report.note(rang ? "the call did not connect within 20 s" : "bob's phone did not ring within 10 s");
  }
  alice->hangup(*call);
  runtime.run_until(
      [&] { return alice_party.record.state == CallState::ended && bob_party.record.state == CallState::ended; }, 5s);
  alice->set_observer(nullptr);
  bob->set_observer(nullptr);
  alice.reset();  // the sessions close and the recordings' headers are completed
  bob.reset();

  auto forward = verdict(alice_party, bob_party, bob_heard);
  auto back = verdict(bob_party, alice_party, alice_heard);
  bool passed =
      report.summary(phases, forward, back, options->video, alice_party.record.last_stats.video_frames_received,
                     bob_party.record.last_stats.video_frames_received);
  return passed ? 0 : 1;
}

}  // namespace mxcall::tools
