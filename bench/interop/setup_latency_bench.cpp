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
// Per pair: median and 90th percentile of each phase and of the total; the ratio mxcall→mxcall / JS→JS of the
// total's median.
// Usage: interop_setup_bench [--calls=N] (default 20) [--jitter-buffer-ms=N] (mxcall's receive jitter buffer,
// default GstEngineOptions'). Exit 1 when a call does not set up.
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

double wall_ms(Wall::time_point t) { return std::chrono::duration<double, std::milli>(t.time_since_epoch()).count(); }
double now_ms() { return wall_ms(Wall::now()); }

// What one end of a call saw, in wall-clock ms.
struct EndTimes {
  std::optional<double> rang, answer_received, ice, dtls, first_audio, ended;
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
    if (stats.audio_samples_decoded > 0) mark(stats.call.call_id, &EndTimes::first_audio);
  }
  void on_signalling(const mxcall::SignallingTrace& trace) override {
    if (trace.direction == mxcall::SignallingTrace::Direction::received && trace.type == "m.call.answer") {
      mark(trace.call_id, &EndTimes::answer_received, wall_ms(trace.at));
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

struct Phases {
  double invite, answer, ice, dtls, audio, total;
};

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
  double both_audio = std::max(*a.first_audio, *b.first_audio);
  p.audio = both_audio - (a.dtls ? *a.dtls : *a.ice);
  p.total = both_audio - t0;
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
  std::vector<Phases> calls;
};

void print(const PairResult& r) {
  auto column = [&](double Phases::*field) {
    std::vector<double> v;
    for (const auto& p : r.calls) v.push_back(p.*field);
    return std::pair{percentile(v, 0.5), percentile(v, 0.9)};
  };
  std::printf("%-16s", r.name.c_str());
  for (auto field : {&Phases::invite, &Phases::answer, &Phases::ice, &Phases::dtls, &Phases::audio, &Phases::total}) {
    auto [median, p90] = column(field);
    if (std::isnan(median)) {
      std::printf("  %15s", "-");
    } else {
      std::printf("  %6.0f / %6.0f", median, p90);
    }
  }
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--calls=", 8) == 0) g_calls = std::max(1, std::atoi(argv[i] + 8));
    if (std::strncmp(argv[i], "--jitter-buffer-ms=", 19) == 0) {
      g_jitter_buffer_ms = static_cast<std::uint32_t>(std::max(0, std::atoi(argv[i] + 19)));
    }
  }
  mxcall::testing::SynapseOptions options;
  options.turn = false;
  mxcall::testing::SynapseServer server(options);
  std::string error;
  if (!server.start(&error)) return std::fprintf(stderr, "interop_setup_bench: Synapse: %s\n", error.c_str()), 1;

  // Users: mx1 and js1 only call, mx2 and js2 only answer (at once, as they ring).
  std::map<std::string, mxcall::testing::TestUser> users;
  for (const char* name : {"mx1", "mx2", "js1", "js2"}) {
    auto& u = users[name];
    u.localpart = name;
    u.password = std::string("pw-") + name;
    u.user_id = server.user_id(name);
    if (!server.register_user(name, u.password, &error))
      return std::fprintf(stderr, "register: %s\n", error.c_str()), 1;
    u.client = mxcall::testing::make_client(server.url());
    if (!u.client->login_password(name, u.password)) return std::fprintf(stderr, "login %s failed\n", name), 1;
  }
  std::map<std::string, std::string> rooms = {
      {"mxcall -> mxcall", mxcall::testing::shared_room(users["mx1"], users["mx2"])},
      {"JS -> JS", mxcall::testing::shared_room(users["js1"], users["js2"])},
      {"mxcall -> JS", mxcall::testing::shared_room(users["mx1"], users["js2"])},
      {"JS -> mxcall", mxcall::testing::shared_room(users["js1"], users["mx2"])},
  };

  mxcall::interop::LoopThread loop;
  BenchPhone mx1(loop.runtime(), server.url(), "mx1", 660);
  BenchPhone mx2(loop.runtime(), server.url(), "mx2", 770);
  if (!mx1.ok() || !mx2.ok()) return 1;
  JsPeer js1("js1");
  JsPeer js2("js2");
  if (!js1.login(server.url(), "js1", "pw-js1", 440) || !js2.command({{"cmd", "login"},
                                                                      {"homeserver", server.url()},
                                                                      {"user", "js2"},
                                                                      {"password", "pw-js2"},
                                                                      {"tone_hz", 550},
                                                                      {"auto_answer", true}},
                                                                     60s)) {
    return std::fprintf(stderr, "interop_setup_bench: the JS peers did not log in\n"), 1;
  }

  struct Spec {
    std::string name;
    End caller, callee;
  };
  std::vector<Spec> specs = {{"mxcall -> mxcall", {&mx1, nullptr}, {&mx2, nullptr}},
                             {"JS -> JS", {nullptr, &js1}, {nullptr, &js2}},
                             {"mxcall -> JS", {&mx1, nullptr}, {nullptr, &js2}},
                             {"JS -> mxcall", {nullptr, &js1}, {&mx2, nullptr}}};
  std::vector<PairResult> results;
  for (const auto& spec : specs) results.push_back({spec.name, {}});
  // Interleaved (one call of each pair in turn), so a slow moment of the machine hits every pair alike. Round 0
  // warms up (GStreamer loads its plugins and makes its DTLS certificate on the first call) and is not counted.
  for (int i = -1; i < g_calls; ++i) {
    for (std::size_t s = 0; s < specs.size(); ++s) {
      auto phases = one_call(specs[s].caller, specs[s].callee, rooms[specs[s].name], &error);
      if (!phases) {
        std::fprintf(stderr, "interop_setup_bench: %s, call %d: %s\n", specs[s].name.c_str(), i + 1, error.c_str());
        return 1;
      }
      if (i >= 0) results[s].calls.push_back(*phases);
    }
  }

  std::printf(
      "call setup through one Synapse (127.0.0.1), %d calls per pair, mxcall jitter buffer %u ms; ms, median / p90\n",
      g_calls, g_jitter_buffer_ms);
  std::printf("%-16s  %15s  %15s  %15s  %15s  %15s  %15s\n", "pair", "invite", "answer", "ice", "dtls", "audio",
              "total");
  for (const auto& r : results) print(r);
  auto total_median = [](const PairResult& r) {
    std::vector<double> v;
    for (const auto& p : r.calls) v.push_back(p.total);
    return percentile(v, 0.5);
  };
  std::printf("ratio mxcall->mxcall / JS->JS (total, median): %.2f (target: at most 0.60)\n",
              total_median(results[0]) / total_median(results[1]));
  return 0;
}
