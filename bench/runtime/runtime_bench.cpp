// The runtime's figures (a benchmark, never a timed test):
//  1. call setup as `mxcall demo` does it (two Phones in an InProcessRoom, real media over 127.0.0.1): the median
//     of N calls (default 20) per phase, from placing the call to the first audio decoded at each end, and its ratio
//     to the same setup with the fake media engine measured in this run (signalling and loop alone);
//  2. CPU and memory (getrusage, RSS) of one idle logged-in party against a Synapse on 127.0.0.1, and per connected
//     call (N calls at once in an in-process room, both ends in this process).
// Usage: runtime_bench [--calls=N] [--idle-seconds=S] [--concurrent=N] [--call-seconds=S]. Exit 1 on any error.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "mxcall/media/fake_media_engine.hpp"
#include "mxcall/media/gst_media_engine.hpp"
#include "mxcall/phone.hpp"
#include "process_usage.hpp"
#include "synapse_server.hpp"

namespace {

using mxcall::bench::cpu_seconds_self;
using mxcall::bench::rss_kib;

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using mxcall::CallState;

int g_calls = 20, g_idle_seconds = 10, g_concurrent = 4, g_call_seconds = 10;

// Runs the loop as an application does (Runtime::run, no polling tick) for `duration`.
void run_for(mxcall::Runtime& runtime, std::chrono::milliseconds duration) {
  runtime.post_after(duration, [&runtime] { runtime.quit(); });
  runtime.run();
}

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

// One side of a benchmark call: the moments its observer saw.
struct Side final : mxcall::PhoneObserver {
  Clock::time_point t0;
  std::map<std::string, double> at;  // phase -> ms since t0 (first time only)
  std::optional<mxcall::IncomingCall> incoming;
  std::optional<CallState> state;
  int connected = 0;  // calls that reached connected
  std::uint64_t decoded = 0;
  std::string error;
  void mark(const std::string& phase) { at.emplace(phase, ms_since(t0)); }
  void on_incoming_call(const mxcall::IncomingCall& call) override {
    incoming = call;
    mark("ringing");
  }
  void on_call_state(const mxcall::CallStateChange& change) override {
    state = change.state;
    if (change.state == CallState::connected) {
      mark("connected");
      ++connected;
    }
  }
  void on_stats(const mxcall::CallStats& stats) override {
    decoded = stats.audio_samples_decoded;
    if (decoded > 0) mark("first_audio");
  }
  void on_signalling(const mxcall::SignallingTrace& trace) override {
    if (trace.direction != mxcall::SignallingTrace::Direction::sent) return;
    if (!trace.detail.empty()) error = trace.detail;
    if (trace.type == "m.call.invite") mark("invite_sent");
    if (trace.type == "m.call.answer") mark("answer_sent");
  }
};

struct Pair {
  mxcall::Runtime runtime;
  mxcall::InProcessRoom room{runtime, "!bench:mxcall.invalid"};
  std::unique_ptr<mxcall::Phone> alice, bob;
  Side a, b;
  explicit Pair(bool real_media) {
    mxcall::PhoneConfig config;
    config.media_defaults.loopback_only = true;
    config.stats_interval = 10ms;  // first-audio resolution
    if (!real_media) {
      config.media_engine = std::make_shared<mxcall::media::FakeMediaEngine>(mxcall::media::FakeMediaOptions{true});
    }
    alice = mxcall::Phone::in_room(runtime, room, "@alice:b", "A", config);
    bob = mxcall::Phone::in_room(runtime, room, "@bob:b", "B", config);
    alice->set_observer(&a);
    bob->set_observer(&b);
  }
  ~Pair() {
    alice->set_observer(nullptr);
    bob->set_observer(nullptr);
  }
};

// Places one call and waits until both ends decoded audio (real media) or connected (fake). Returns the phases.
std::optional<std::map<std::string, double>> one_setup(bool real_media, std::string* error) {
  Pair pair(real_media);
  pair.a.t0 = pair.b.t0 = Clock::now();
  auto call = pair.alice->call("@bob:b");
  if (!call) return *error = call.error().message, std::nullopt;
  if (!pair.runtime.run_until([&] { return pair.b.incoming.has_value(); }, 10s)) {
    return *error = "bob did not ring within 10 s", std::nullopt;
  }
  pair.bob->answer(*call);
  const char* last = real_media ? "first_audio" : "connected";
  if (!pair.runtime.run_until([&] { return pair.a.at.contains(last) && pair.b.at.contains(last); }, 20s)) {
    return *error = std::string("the call did not reach ") + last + " within 20 s", std::nullopt;
  }
  std::map<std::string, double> phases;
  phases["invite_sent"] = pair.a.at["invite_sent"];
  phases["ringing"] = pair.b.at["ringing"];
  phases["answer_sent"] = pair.b.at["answer_sent"];
  phases["caller_connected"] = pair.a.at["connected"];
  phases["callee_connected"] = pair.b.at["connected"];
  if (real_media) {
    phases["caller_first_audio"] = pair.a.at["first_audio"];
    phases["callee_first_audio"] = pair.b.at["first_audio"];
  }
  pair.alice->hangup(*call);
  pair.runtime.run_until([&] { return pair.a.state == CallState::ended && pair.b.state == CallState::ended; }, 5s);
  return phases;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

bool setup_figures() {
  std::map<std::string, std::vector<double>> real, fake;
  for (int i = 0; i < g_calls; ++i) {
    std::string error;
    auto phases = one_setup(true, &error);
    if (!phases) return std::fprintf(stderr, "runtime_bench: setup %d: %s\n", i + 1, error.c_str()), false;
    for (const auto& [name, ms] : *phases) real[name].push_back(ms);
    auto baseline = one_setup(false, &error);
    if (!baseline) return std::fprintf(stderr, "runtime_bench: baseline %d: %s\n", i + 1, error.c_str()), false;
    for (const auto& [name, ms] : *baseline) fake[name].push_back(ms);
  }
  std::printf(
      "call setup, median of %d, ms since the call was placed (baseline: the same calls with the fake media\n"
      "engine, i.e. the loop, the routers and the in-process room alone)\n",
      g_calls);
  for (const char* phase : {"invite_sent", "ringing", "answer_sent", "caller_connected", "callee_connected",
                            "caller_first_audio", "callee_first_audio"}) {
    double m = median(real[phase]);
    if (fake.contains(phase)) {
      std::printf("  %-20s %8.1f   baseline %6.2f\n", phase, m, median(fake[phase]));
    } else {
      std::printf("  %-20s %8.1f\n", phase, m);
    }
  }
  double connected = median(real["caller_connected"]);
  std::printf(
      "  ratio: the baseline is %.2f%% of the time to ICE connected; first audio comes %.1fx as late as ICE "
      "connected\n",
      connected > 0 ? median(fake["caller_connected"]) * 100 / connected : 0.0,
      connected > 0 ? median(real["caller_first_audio"]) / connected : 0.0);
  return true;
}

bool idle_party_figures() {
  mxcall::testing::SynapseOptions options;
  options.turn = false;
  mxcall::testing::SynapseServer server(options);
  std::string error;
  if (!server.start(&error)) return std::fprintf(stderr, "runtime_bench: Synapse: %s\n", error.c_str()), false;
  if (!server.register_user("idle", "idle-password", &error)) {
    return std::fprintf(stderr, "runtime_bench: register: %s\n", error.c_str()), false;
  }
  mxcall::Runtime runtime;
  long rss_start = rss_kib();
  mxcall::media::GstMediaEngine::warm_up();  // what the first phone of a process pays, measured on its own
  long rss_before = rss_kib();
  mxcall::PhoneConfig config;
  config.homeserver = server.url();
  config.user = "idle";
  config.password = "idle-password";
  auto phone = mxcall::Phone::connect(runtime, config);
  if (!phone) return std::fprintf(stderr, "runtime_bench: connect: %s\n", phone.error().message.c_str()), false;
  run_for(runtime, 2s);  // the initial sync and the TURN fetch are done
  long rss_connected = rss_kib();
  double cpu0 = cpu_seconds_self();
  run_for(runtime, std::chrono::seconds{g_idle_seconds});
  double cpu = cpu_seconds_self() - cpu0;
  std::printf("one idle logged-in party (Synapse on 127.0.0.1, 30 s long-poll), %d s:\n", g_idle_seconds);
  std::printf("  CPU %.3f ms per second (%.4f%% of a core)\n", cpu * 1000 / g_idle_seconds, cpu * 100 / g_idle_seconds);
  std::printf(
      "  RSS: GStreamer and the DTLS certificate (once per process) +%ld KiB, the phone +%ld KiB, %ld KiB in all\n",
      rss_before - rss_start, rss_connected - rss_before, rss_connected);
  phone->reset();
  server.stop();
  return true;
}

bool per_call_figures() {
  Pair pair(true);
  long rss0 = rss_kib();
  std::vector<mxcall::CallRef> calls;
  for (int i = 0; i < g_concurrent; ++i) {
    auto call = pair.alice->call("@bob:b");
    if (!call) return std::fprintf(stderr, "runtime_bench: %s\n", call.error().message.c_str()), false;
    pair.b.incoming.reset();
    if (!pair.runtime.run_until([&] { return pair.b.incoming.has_value(); }, 10s)) {
      return std::fprintf(stderr, "runtime_bench: call %d did not ring\n", i + 1), false;
    }
    pair.bob->answer(pair.b.incoming->call);
    calls.push_back(*call);
  }
  auto all_connected = [&] { return pair.a.connected >= g_concurrent && pair.b.connected >= g_concurrent; };
  if (!pair.runtime.run_until(all_connected, 30s)) {
    return std::fprintf(stderr, "runtime_bench: the calls did not connect\n"), false;
  }
  run_for(pair.runtime, 2s);  // settled
  long rss1 = rss_kib();
  double cpu0 = cpu_seconds_self();
  run_for(pair.runtime, std::chrono::seconds{g_call_seconds});
  double cpu = cpu_seconds_self() - cpu0;
  std::printf("%d connected audio calls, both ends in this process (Opus, 127.0.0.1), %d s:\n", g_concurrent,
              g_call_seconds);
  std::printf("  per call (both ends): CPU %.1f%% of a core, RSS +%ld KiB\n", cpu * 100 / g_call_seconds / g_concurrent,
              (rss1 - rss0) / g_concurrent);
  for (const auto& call : calls) pair.alice->hangup(call);
  pair.runtime.run_until([&] { return pair.alice->live_calls().empty(); }, 10s);
  return true;
}

bool flag(const char* arg, const char* name, int* value) {
  std::size_t n = std::strlen(name);
  if (std::strncmp(arg, name, n) != 0 || arg[n] != '=') return false;
  *value = std::max(1, std::atoi(arg + n + 1));
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (!flag(argv[i], "--calls", &g_calls) && !flag(argv[i], "--idle-seconds", &g_idle_seconds) &&
        !flag(argv[i], "--concurrent", &g_concurrent) && !flag(argv[i], "--call-seconds", &g_call_seconds)) {
      std::fprintf(stderr, "usage: runtime_bench [--calls=N] [--idle-seconds=S] [--concurrent=N] [--call-seconds=S]\n");
      return 2;
    }
  }
  // The idle party first: its memory figure then includes the once-per-process GStreamer costs, shown apart.
  bool ok = idle_party_figures() && setup_figures() && per_call_figures();
  return ok ? 0 : 1;
}
