// Call setup latency through one Synapse on 127.0.0.1, in one run, for each pair of implementations: mxcall → mxcall,
// matrix-js-sdk → matrix-js-sdk (Node, @roamhq/wrtc), mxcall → JS and JS → mxcall. A benchmark, never a timed test:
// the figures are printed, the exit status says only whether every call set up.
//
// Per call, from "place call" (t0, wall clock) the moments each end saw, split into phases:
//   invite   t0 → the callee rings (the invite was created, sent, synced to the callee)
//   answer   ring → the caller has the answer (the callee answers at once, in its ring callback)
//   ice      answer → the caller's ICE connected
//   dtls     ICE → the caller's DTLS connected (JS ends only: mxcall reports "connected" after both)
//   audio    → audio decoded at both ends (the later of the two)
// Per pair: median and 90th percentile of each phase and of the total, then where the time went inside the phases;
// the ratio mxcall→mxcall / JS→JS of the total's median, measured in the same run (Google Benchmark counter
// mx_mx_vs_js_js).
// Usage: interop_setup_bench [--calls=N] (default 20) [--jitter-buffer-ms=N] [--jitter-buffer-max-ms=N]
// [--gathering-wait-ms=N] [--ice-pacing-ms=N] (mxcall's GstEngineOptions; defaults: the engine's) [--benchmark_*].
// A call that does not set up is an "ERROR OCCURRED" line. `--jitter-buffer-ms=200 --gathering-wait-ms=0
// --ice-pacing-ms=20` is the engine as it was before it put candidates into its SDP, paced ICE at 5 ms and started
// its jitter buffer small.
#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "helpers.hpp"
#include "js_peer.hpp"
#include "mx_party.hpp"
#include "synapse_server.hpp"

namespace {

using namespace std::chrono_literals;
using mxcall::CallRef;
using mxcall::CallState;
using mxcall::interop::Json;
using mxcall::interop::JsPeer;
using Wall = std::chrono::system_clock;

int g_calls = 20;
std::uint32_t g_jitter_buffer_ms = mxcall::media::GstEngineOptions{}.jitter_buffer_ms;
std::uint32_t g_jitter_buffer_max_ms = mxcall::media::GstEngineOptions{}.jitter_buffer_max_ms;
std::uint32_t g_gathering_wait_ms = mxcall::media::GstEngineOptions{}.candidate_gathering_wait_ms;
std::uint32_t g_ice_pacing_ms = mxcall::media::GstEngineOptions{}.ice_check_pacing_ms;

double wall_ms(Wall::time_point t) { return std::chrono::duration<double, std::milli>(t.time_since_epoch()).count(); }
double now_ms() { return wall_ms(Wall::now()); }

// What one end of a call saw, in wall-clock ms.
struct EndTimes {
  std::optional<double> invite_sent, rang, answer_sent, answer_received, ice, dtls, first_rtp, first_audio, ended;
};

// An mxcall end for the benchmark: answers every call as it rings (in the callback), keeps the moments per call.
class BenchPhone final : public mxcall::PhoneObserver {
 public:
  BenchPhone(mxcall::Runtime& runtime, const std::string& url, const std::string& user, double tone_hz) {
    mxcall::PhoneConfig config;
    config.homeserver = url;
    config.user = user;
    config.password = "pw-" + user;
    config.media_defaults.loopback_only = true;
    config.media_defaults.jitter_buffer_ms = g_jitter_buffer_ms;
    config.media_defaults.jitter_buffer_max_ms = std::max(g_jitter_buffer_ms, g_jitter_buffer_max_ms);
    config.media_defaults.candidate_gathering_wait_ms = g_gathering_wait_ms;
    config.media_defaults.ice_check_pacing_ms = g_ice_pacing_ms;
    config.stats_interval = 10ms;  // the resolution of "first audio decoded"
    config.sync_timeout = 5000ms;
    config.join_invites = true;
    tone_.audio_source = mxcall::audio_source::Tone{.frequency_hz = tone_hz, .volume = 0.3};
    auto phone = mxcall::Phone::connect(runtime, config);
    if (!phone) {
      std::fprintf(stderr, "interop_setup_bench: %s: %s\n", user.c_str(), phone.error().message.c_str());
      return;
    }
    phone_ = std::move(*phone);
    phone_->set_observer(this);
  }
  ~BenchPhone() override {
    if (phone_) phone_->set_observer(nullptr);
  }
  bool ok() const { return phone_ != nullptr; }
  mxcall::Phone& phone() { return *phone_; }

  std::optional<CallRef> call(const std::string& room) {
    mxcall::CallOptions options;
    options.media = tone_;
    auto placed = phone_->call(room, options);
    if (!placed) return std::nullopt;
    return *placed;
  }

  EndTimes times(const std::string& call_id) {
    std::lock_guard lock(mutex_);
    return times_[call_id];
  }
  bool wait(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, done);
  }
  bool has(const std::string& call_id, std::optional<double> EndTimes::*field) {
    auto it = times_.find(call_id);
    return it != times_.end() && (it->second.*field).has_value();
  }

  void on_incoming_call(const mxcall::IncomingCall& call) override {
    mark(call.call.call_id, &EndTimes::rang);
    mxcall::AnswerOptions options;
    options.media = tone_;
    phone_->answer(call.call, options);
  }
  void on_call_state(const mxcall::CallStateChange& change) override {
    if (change.state == CallState::connected) mark(change.call.call_id, &EndTimes::ice);
    if (change.state == CallState::ended) mark(change.call.call_id, &EndTimes::ended);
  }
  void on_stats(const mxcall::CallStats& stats) override {
    if (stats.received.packets > 0) mark(stats.call.call_id, &EndTimes::first_rtp);
    if (stats.audio_samples_decoded > 0) mark(stats.call.call_id, &EndTimes::first_audio);
  }
  void on_signalling(const mxcall::SignallingTrace& trace) override {
    using Direction = mxcall::SignallingTrace::Direction;
    if (trace.direction == Direction::received && trace.type == "m.call.answer") {
      mark(trace.call_id, &EndTimes::answer_received, wall_ms(trace.at));
    }
    // Handed to the send queue (the HTTP request starts then).
    if (trace.direction == Direction::sent && trace.type == "m.call.invite") {
      mark(trace.call_id, &EndTimes::invite_sent, wall_ms(trace.at));
    }
    if (trace.direction == Direction::sent && trace.type == "m.call.answer") {
      mark(trace.call_id, &EndTimes::answer_sent, wall_ms(trace.at));
    }
  }

 private:
  void mark(const std::string& call_id, std::optional<double> EndTimes::*field, double at = now_ms()) {
    std::lock_guard lock(mutex_);
    auto& slot = times_[call_id].*field;
    if (!slot) slot = at;
    changed_.notify_all();
  }
  std::unique_ptr<mxcall::Phone> phone_;
  mxcall::MediaChoice tone_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, EndTimes> times_;
};

EndTimes js_times(JsPeer& js, const std::string& call_id) {
  EndTimes t;
  for (const auto& e : js.events()) {
    if (e.value("call_id", "") != call_id) continue;
    auto first = [&](std::optional<double>& slot) {
      if (!slot) slot = e.value("t", 0.0);
    };
    std::string ev = e.value("ev", "");
    if (ev == "incoming") first(t.rang);
    // js-sdk's sends are timed when the homeserver accepted them (one HTTP round trip after mxcall's hand-over).
    if (ev == "sent" && e.value("type", "") == "m.call.invite") first(t.invite_sent);
    if (ev == "sent" && e.value("type", "") == "m.call.answer") first(t.answer_sent);
    if (ev == "voip" && e.value("type", "") == "m.call.answer") first(t.answer_received);
    if (ev == "ice" && (e.value("state", "") == "connected" || e.value("state", "") == "completed")) first(t.ice);
    if (ev == "dtls") first(t.dtls);
    if (ev == "first_audio") first(t.first_audio);
    if (ev == "hangup") first(t.ended);
  }
  return t;
}

// One end of a pair: mxcall or JS.
struct End {
  BenchPhone* mx = nullptr;
  JsPeer* js = nullptr;
  EndTimes times(const std::string& call_id) const { return mx ? mx->times(call_id) : js_times(*js, call_id); }
};

// Phases of one call in ms (see the top of the file), and where inside them the time went.
struct Phases {
  double invite, answer, ice, dtls, audio, total;
  // Inside invite: making the offer (until it is handed to the homeserver), then its delivery. Inside answer: the
  // same for the answer. After connected: until the first RTP left an mxcall end's jitter buffer (the DTLS-SRTP
  // handshake, the first packet's trip and the buffer's latency; mxcall's counter sits after webrtcbin), then until
  // audio was decoded at both ends.
  double make_offer, deliver_invite, make_answer, deliver_answer, first_rtp, rtp_to_audio;
};

double since(const std::optional<double>& later, const std::optional<double>& earlier) {
  return later && earlier ? *later - *earlier : std::nan("");
}

std::optional<Phases> one_call(End caller, End callee, const std::string& room, std::string* error) {
  double t0 = now_ms();
  std::string call_id;
  if (caller.mx) {
    auto placed = caller.mx->call(room);
    if (!placed) return *error = "mxcall refused to place the call", std::nullopt;
    call_id = placed->call_id;
  } else {
    auto placed = caller.js->command({{"cmd", "call"}, {"room_id", room}});
    if (!placed) return *error = "matrix-js-sdk refused to place the call", std::nullopt;
    call_id = (*placed)["call_id"];
  }
  auto deadline = std::chrono::steady_clock::now() + 20s;
  EndTimes a, b;
  while (std::chrono::steady_clock::now() < deadline) {
    a = caller.times(call_id);
    b = callee.times(call_id);
    if (a.first_audio && b.first_audio && a.ice && a.answer_received && b.rang) break;
    std::this_thread::sleep_for(20ms);
  }
  if (!(a.first_audio && b.first_audio && a.ice && a.answer_received && b.rang)) {
    *error = "call " + call_id + " did not reach audio at both ends within 20 s";
    return std::nullopt;
  }
  Phases p{};
  p.invite = *b.rang - t0;
  p.answer = *a.answer_received - *b.rang;
  p.ice = *a.ice - *a.answer_received;
  p.dtls = a.dtls ? *a.dtls - *a.ice : std::nan("");
  double connected = a.dtls ? *a.dtls : *a.ice;
  double both_audio = std::max(*a.first_audio, *b.first_audio);
  p.audio = both_audio - connected;
  p.total = both_audio - t0;
  p.make_offer = since(a.invite_sent, t0);
  p.deliver_invite = since(b.rang, a.invite_sent);
  p.make_answer = since(b.answer_sent, b.rang);
  p.deliver_answer = since(a.answer_received, b.answer_sent);
  std::optional<double> first_rtp;  // the later of the mxcall ends (JS ends do not report it)
  for (const auto* end : {&a, &b}) {
    if (end->first_rtp) first_rtp = std::max(first_rtp.value_or(0), *end->first_rtp);
  }
  p.first_rtp = since(first_rtp, connected);
  p.rtp_to_audio = since(both_audio, first_rtp);
  // Hang up and wait for both ends, so calls never overlap.
  if (caller.mx) {
    caller.mx->phone().hangup({room, call_id});
  } else {
    caller.js->command({{"cmd", "hangup"}, {"call_id", call_id}});
  }
  auto end_deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < end_deadline &&
         !(caller.times(call_id).ended && callee.times(call_id).ended)) {
    std::this_thread::sleep_for(20ms);
  }
  std::this_thread::sleep_for(300ms);  // let both ends close their media before the next call
  return p;
}

double percentile(std::vector<double> v, double q) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }), v.end());
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  double rank = q * static_cast<double>(v.size() - 1);
  auto lo = static_cast<std::size_t>(std::floor(rank));
  auto hi = static_cast<std::size_t>(std::ceil(rank));
  return v[lo] + (v[hi] - v[lo]) * (rank - static_cast<double>(lo));
}

struct PairResult {
  std::string name;
  std::string key;  // for counter names
  std::vector<Phases> calls;
  double column(double Phases::*field, double q) const {
    std::vector<double> v;
    for (const auto& p : calls) v.push_back(p.*field);
    return percentile(v, q);
  }
};

void print_table(const std::vector<PairResult>& results, std::initializer_list<const char*> names,
                 std::initializer_list<double Phases::*> fields) {
  std::printf("%-16s", "pair");
  for (const char* name : names) std::printf("  %15s", name);
  std::printf("\n");
  for (const auto& r : results) {
    std::printf("%-16s", r.name.c_str());
    for (auto field : fields) {
      double median = r.column(field, 0.5);
      if (std::isnan(median)) {
        std::printf("  %15s", "-");
      } else {
        std::printf("  %6.0f / %6.0f", median, r.column(field, 0.9));
      }
    }
    std::printf("\n");
  }
}

// The whole run: one Synapse, four parties, every pair's calls interleaved. Google Benchmark reports it once
// (one iteration, manual time = the run's wall time) with the figures as counters; the tables go to stdout first.
void BM_CallSetup(benchmark::State& state) {
  for (auto _ : state) {
    auto started = std::chrono::steady_clock::now();
    mxcall::testing::SynapseOptions options;
    options.turn = false;
    mxcall::testing::SynapseServer server(options);
    std::string error;
    if (!server.start(&error)) return state.SkipWithError(("Synapse: " + error).c_str());

    // Users: mx1 and js1 only call, mx2 and js2 only answer (at once, as they ring).
    std::map<std::string, mxcall::testing::TestUser> users;
    for (const char* name : {"mx1", "mx2", "js1", "js2"}) {
      auto& u = users[name];
      u.localpart = name;
      u.password = std::string("pw-") + name;
      u.user_id = server.user_id(name);
      if (!server.register_user(name, u.password, &error)) return state.SkipWithError(("register: " + error).c_str());
      u.client = mxcall::testing::make_client(server.url());
      if (!u.client->login_password(name, u.password)) return state.SkipWithError("login failed");
    }
    std::map<std::string, std::string> rooms = {
        {"mxcall -> mxcall", mxcall::testing::shared_room(users["mx1"], users["mx2"])},
        {"JS -> JS", mxcall::testing::shared_room(users["js1"], users["js2"])},
        {"mxcall -> JS", mxcall::testing::shared_room(users["mx1"], users["js2"])},
        {"JS -> mxcall", mxcall::testing::shared_room(users["js1"], users["mx2"])},
    };

    // A loop thread each, as two devices would have: on one loop the callee's media work (building its pipeline,
    // making its answer) would hold up the caller's handling of that answer, a cost no real pair of devices pays.
    // Each JS party is a process of its own.
    mxcall::interop::LoopThread caller_loop, callee_loop;
    BenchPhone mx1(caller_loop.runtime(), server.url(), "mx1", 660);
    BenchPhone mx2(callee_loop.runtime(), server.url(), "mx2", 770);
    if (!mx1.ok() || !mx2.ok()) return state.SkipWithError("an mxcall phone did not connect");
    JsPeer js1("js1");
    JsPeer js2("js2");
    if (!js1.login(server.url(), "js1", "pw-js1", 440) || !js2.command({{"cmd", "login"},
                                                                        {"homeserver", server.url()},
                                                                        {"user", "js2"},
                                                                        {"password", "pw-js2"},
                                                                        {"tone_hz", 550},
                                                                        {"auto_answer", true}},
                                                                       60s)) {
      return state.SkipWithError("the JS peers did not log in");
    }

    struct Spec {
      std::string name, key;
      End caller, callee;
    };
    std::vector<Spec> specs = {{"mxcall -> mxcall", "mx_mx", {&mx1, nullptr}, {&mx2, nullptr}},
                               {"JS -> JS", "js_js", {nullptr, &js1}, {nullptr, &js2}},
                               {"mxcall -> JS", "mx_js", {&mx1, nullptr}, {nullptr, &js2}},
                               {"JS -> mxcall", "js_mx", {nullptr, &js1}, {&mx2, nullptr}}};
    std::vector<PairResult> results;
    for (const auto& spec : specs) results.push_back({spec.name, spec.key, {}});
    // Interleaved (one call of each pair in turn), so a slow moment of the machine hits every pair alike. Round 0
    // warms up (GStreamer loads its plugins and makes its DTLS certificate on the first call) and is not counted.
    for (int i = -1; i < g_calls; ++i) {
      for (std::size_t s = 0; s < specs.size(); ++s) {
        auto phases = one_call(specs[s].caller, specs[s].callee, rooms[specs[s].name], &error);
        if (!phases) {
          return state.SkipWithError((specs[s].name + ", call " + std::to_string(i + 1) + ": " + error).c_str());
        }
        if (i >= 0) results[s].calls.push_back(*phases);
      }
    }

    std::printf(
        "call setup through one Synapse (127.0.0.1), %d calls per pair; mxcall: jitter buffer %u ms at the start "
        "(at most %u), gathering wait %u ms, ICE pacing %u ms; ms, median / p90\n",
        g_calls, g_jitter_buffer_ms, std::max(g_jitter_buffer_ms, g_jitter_buffer_max_ms), g_gathering_wait_ms,
        g_ice_pacing_ms);
    print_table(results, {"invite", "answer", "ice", "dtls", "audio", "total"},
                {&Phases::invite, &Phases::answer, &Phases::ice, &Phases::dtls, &Phases::audio, &Phases::total});
    std::printf("\nwhere it goes (JS sends are timed when the homeserver accepted them, mxcall's when handed over):\n");
    print_table(results,
                {"make offer", "deliver invite", "make answer", "deliver answer", "rtp out of jb", "then decoded"},
                {&Phases::make_offer, &Phases::deliver_invite, &Phases::make_answer, &Phases::deliver_answer,
                 &Phases::first_rtp, &Phases::rtp_to_audio});
    double ratio = results[0].column(&Phases::total, 0.5) / results[1].column(&Phases::total, 0.5);
    std::printf("\nratio mxcall->mxcall / JS->JS (total, median): %.2f (target: at most 0.60)\n\n", ratio);
    std::fflush(stdout);

    for (const auto& r : results) {
      state.counters[r.key + "_p50_ms"] = r.column(&Phases::total, 0.5);
      state.counters[r.key + "_p90_ms"] = r.column(&Phases::total, 0.9);
    }
    state.counters["mx_mx_vs_js_js"] = ratio;
    state.counters["calls_per_pair"] = g_calls;
    state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Our flags first; the rest (--benchmark_*) go to Google Benchmark.
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--calls=", 8) == 0) {
      g_calls = std::max(1, std::atoi(argv[i] + 8));
    } else if (std::strncmp(argv[i], "--jitter-buffer-ms=", 19) == 0) {
      g_jitter_buffer_ms = static_cast<std::uint32_t>(std::max(0, std::atoi(argv[i] + 19)));
    } else if (std::strncmp(argv[i], "--jitter-buffer-max-ms=", 23) == 0) {
      g_jitter_buffer_max_ms = static_cast<std::uint32_t>(std::max(0, std::atoi(argv[i] + 23)));
    } else if (std::strncmp(argv[i], "--gathering-wait-ms=", 20) == 0) {
      g_gathering_wait_ms = static_cast<std::uint32_t>(std::max(0, std::atoi(argv[i] + 20)));
    } else if (std::strncmp(argv[i], "--ice-pacing-ms=", 16) == 0) {
      g_ice_pacing_ms = static_cast<std::uint32_t>(std::max(0, std::atoi(argv[i] + 16)));
    } else {
      rest.push_back(argv[i]);
    }
  }
  benchmark::RegisterBenchmark("CallSetup", BM_CallSetup)->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);
  int rest_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_argc, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
