// N concurrent calls' signalling (default 200) through one Synapse on 127.0.0.1, between two client processes: a
// caller and a callee, each one mxcall::matrix::Client with a SendQueue and a Syncer. Per call: invite, answer, two
// candidate events each way, select_answer, hangup (8 events). Every event carries the sender's CLOCK_MONOTONIC
// time, so the receiving process measures send-to-peer latency (queueing, HTTP, Synapse, sync wake-up) directly.
// This is a scripted load driver, not the call engine: it only produces a realistic event mix.
//
// Reports: events per second, p50/p99 latency, client CPU time and memory per call, Synapse CPU time per call.
// Usage: matrix_load_bench [--calls=N] [--lanes=N] [Google Benchmark flags]
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <benchmark/benchmark.h>
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "mxcall/matrix/send_queue.hpp"
#include "mxcall/matrix/syncer.hpp"
#include "process_usage.hpp"
#include "synapse_server.hpp"

namespace {

using mxcall::bench::cpu_seconds_self;
using mxcall::bench::rss_kib;

using mxcall::matrix::Client;
using mxcall::matrix::ClientConfig;
using nlohmann::json;

int g_calls = 200;
int g_lanes = 8;

std::int64_t mono_us() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1000000 + ts.tv_nsec / 1000;
}

double process_cpu_seconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime
  }
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

ClientConfig client_config(const std::string& url) {
  ClientConfig config;
  config.homeserver = url;
  config.retry.max_attempts = 20;
  config.retry.max_total = std::chrono::milliseconds{60000};
  config.filter.timeline_limit = 1000;  // a burst must not be cut into `limited` batches
  return config;
}

std::string content(const std::string& call_id, const std::string& party, json extra) {
  json c = {{"call_id", call_id}, {"party_id", party}, {"version", "1"}, {"ts_us", mono_us()}};
  for (auto& [key, value] : extra.items()) c[key] = value;
  return c.dump();
}

json candidates(int n) {
  return json::array({{{"candidate", "candidate:" + std::to_string(n) + " 1 udp 2130706431 127.0.0.1 " +
                                         std::to_string(40000 + n) + " typ host"},
                       {"sdpMid", "0"},
                       {"sdpMLineIndex", 0}}});
}

// One side of the load. Returns its figures as JSON (written to `out_path` by the child process).
json run_side(bool caller, const std::string& url, const std::string& user, const std::string& password,
              const std::vector<std::string>& rooms, int ready_fd, int go_fd) {
  Client client(client_config(url));
  auto session = client.login_password(user, password);
  if (!session) return json{{"error", session.error().message}};
  auto first = client.sync(mxcall::matrix::SyncOptions{std::chrono::milliseconds{0}, false, nullptr});
  if (!first) return json{{"error", first.error().message}};
  (void)client.commit(*first);
  const std::string party = caller ? "CALLERaa" : "CALLEEbb";
  std::map<std::string, std::string> room_of;  // call id -> room
  for (int i = 0; i < g_calls; ++i) room_of["c" + std::to_string(i)] = rooms[static_cast<std::size_t>(i)];

  std::mutex mutex;
  std::condition_variable done_cv;
  std::vector<double> latencies_ms;
  std::set<std::string> finished;
  std::map<std::string, int> received_per_call;
  // The peer's events per call: the callee gets invite, select_answer, 2 candidates, hangup; the caller gets answer
  // and 2 candidates. A call is finished for this side when all of them arrived (the hangup may overtake candidates).
  const int expected_per_call = caller ? 3 : 5;
  std::atomic<int> send_failures{0};
  mxcall::matrix::SendQueueOptions queue_options;
  queue_options.lanes = g_lanes;
  mxcall::matrix::SendQueue queue(
      client,
      [&](const mxcall::matrix::SendOutcome& outcome) {
        if (!outcome.event_id) ++send_failures;
      },
      queue_options);

  auto on_batch = [&](const mxcall::matrix::SyncBatch& batch) {
    auto now = mono_us();
    for (const auto& room : batch.rooms) {
      for (const auto& event : json::parse(room.timeline_json)) {
        std::string type = event.value("type", "");
        if (type.rfind("m.call.", 0) != 0) continue;
        const auto& c = event["content"];
        if (c.value("party_id", "") == party) continue;  // our own echo
        std::string call_id = c.value("call_id", "");
        std::lock_guard lock(mutex);
        latencies_ms.push_back(static_cast<double>(now - c.value("ts_us", now)) / 1000.0);
        if (++received_per_call[call_id] == expected_per_call) finished.insert(call_id);
        if (caller && type == "m.call.answer") {
          queue.push(room.room_id, "m.call.select_answer",
                     content(call_id, party, {{"selected_party_id", "CALLEEbb"}}));
          queue.push(room.room_id, "m.call.candidates", content(call_id, party, {{"candidates", candidates(1)}}));
          queue.push(room.room_id, "m.call.candidates", content(call_id, party, {{"candidates", candidates(2)}}));
        } else if (caller && type == "m.call.candidates" &&
                   c["candidates"][0]["candidate"].get<std::string>().rfind("candidate:4 ", 0) == 0) {
          queue.push(room.room_id, "m.call.hangup", content(call_id, party, {{"reason", "user_hangup"}}));
        } else if (!caller && type == "m.call.invite") {
          queue.push(room.room_id, "m.call.answer",
                     content(call_id, party, {{"answer", {{"type", "answer"}, {"sdp", "v=0\r\n"}}}}));
          queue.push(room.room_id, "m.call.candidates", content(call_id, party, {{"candidates", candidates(3)}}));
          queue.push(room.room_id, "m.call.candidates", content(call_id, party, {{"candidates", candidates(4)}}));
        }
      }
    }
    done_cv.notify_all();
  };
  mxcall::matrix::SyncerOptions sync_options;
  sync_options.poll_timeout = std::chrono::milliseconds{5000};
  mxcall::matrix::Syncer syncer(client, on_batch, {}, sync_options);
  syncer.start();

  char byte = 1;
  if (::write(ready_fd, &byte, 1) != 1) return json{{"error", "pipe"}};
  if (::read(go_fd, &byte, 1) != 1) return json{{"error", "pipe"}};
  const double cpu0 = cpu_seconds_self();
  const long rss0 = rss_kib();
  const auto t0 = std::chrono::steady_clock::now();
  if (caller) {
    for (const auto& [call_id, room] : room_of) {
      queue.push(
          room, "m.call.invite",
          content(call_id, party,
                  {{"lifetime", 90000}, {"invitee", "callee"}, {"offer", {{"type", "offer"}, {"sdp", "v=0\r\n"}}}}));
    }
  }
  bool complete = false;
  {
    std::unique_lock lock(mutex);
    complete =
        done_cv.wait_for(lock, std::chrono::seconds{300}, [&] { return static_cast<int>(finished.size()) >= g_calls; });
  }
  queue.wait_idle(std::chrono::seconds{60});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = cpu_seconds_self() - cpu0;
  const long rss = rss_kib();
  syncer.stop();
  queue.stop();
  std::lock_guard lock(mutex);
  auto stats = client.stats();
  return json{{"complete", complete},
              {"seconds", seconds},
              {"received", latencies_ms.size()},
              {"latencies_ms", latencies_ms},
              {"cpu_s", cpu},
              {"rss_kib_before", rss0},
              {"rss_kib_after", rss},
              {"send_failures", send_failures.load()},
              {"requests", stats.requests},
              {"rate_limited", stats.rate_limited}};
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

void BM_SignallingThroughSynapse(benchmark::State& state) {
  mxcall::testing::SynapseOptions options;
  options.turn = false;
  mxcall::testing::SynapseServer server(options);
  std::string error;
  if (!server.start(&error)) {
    state.SkipWithError(error.c_str());
    return;
  }
  for (const char* name : {"caller", "callee"}) {
    if (!server.register_user(name, std::string(name) + "-pw", &error)) {
      state.SkipWithError(error.c_str());
      return;
    }
  }
  Client setup(client_config(server.url()));
  Client callee_setup(client_config(server.url()));
  (void)setup.login_password("caller", "caller-pw");
  (void)callee_setup.login_password("callee", "callee-pw");
  std::vector<std::string> rooms;
  for (int i = 0; i < g_calls; ++i) {
    auto room = setup.create_room(
        json{{"preset", "trusted_private_chat"}, {"invite", {server.user_id("callee")}}, {"is_direct", true}}.dump());
    if (!room || !callee_setup.join(*room)) {
      state.SkipWithError("could not create the rooms");
      return;
    }
    rooms.push_back(*room);
  }

  for (auto _ : state) {
    const double synapse_cpu0 = process_cpu_seconds(server.pid());
    int ready[2], go[2];
    if (::pipe(ready) != 0 || ::pipe(go) != 0) return;
    std::vector<pid_t> children;
    std::vector<std::string> outputs;
    for (bool caller : {false, true}) {
      std::string out = "/tmp/mxcall-load-" + std::to_string(::getpid()) + (caller ? "-caller.json" : "-callee.json");
      outputs.push_back(out);
      pid_t pid = ::fork();
      if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        json result = run_side(caller, server.url(), caller ? "caller" : "callee", caller ? "caller-pw" : "callee-pw",
                               rooms, ready[1], go[0]);
        std::ofstream(out) << result.dump();
        ::_exit(0);  // never the parent's destructors: they would stop Synapse
      }
      children.push_back(pid);
    }
    char byte = 0;
    for (int i = 0; i < 2; ++i) (void)!::read(ready[0], &byte, 1);
    (void)!::write(go[1], "gg", 2);
    for (pid_t pid : children) ::waitpid(pid, nullptr, 0);
    const double synapse_cpu = process_cpu_seconds(server.pid()) - synapse_cpu0;
    for (int fd : {ready[0], ready[1], go[0], go[1]}) ::close(fd);

    std::vector<double> latencies;
    double seconds = 0, client_cpu = 0, rss_growth_kib = 0;
    std::size_t received = 0;
    bool complete = true;
    for (const auto& path : outputs) {
      std::ifstream in(path);
      json side = json::parse(in, nullptr, false);
      std::remove(path.c_str());
      if (!side.is_object() || side.contains("error")) {
        state.SkipWithError(side.is_object() ? side["error"].get<std::string>().c_str() : "a client process failed");
        return;
      }
      complete = complete && side["complete"].get<bool>();
      seconds = std::max(seconds, side["seconds"].get<double>());
      client_cpu += side["cpu_s"].get<double>();
      rss_growth_kib += static_cast<double>(side["rss_kib_after"].get<long>() - side["rss_kib_before"].get<long>());
      received += side["received"].get<std::size_t>();
      for (double l : side["latencies_ms"]) latencies.push_back(l);
    }
    if (!complete) state.SkipWithError("not every call finished within 300 s");
    state.SetIterationTime(seconds);
    const double calls = g_calls;
    state.counters["calls"] = calls;
    state.counters["events"] = static_cast<double>(received);
    state.counters["events_per_s"] = static_cast<double>(received) / seconds;
    state.counters["p50_ms"] = percentile(latencies, 0.50);
    state.counters["p99_ms"] = percentile(latencies, 0.99);
    state.counters["client_cpu_ms_per_call"] = client_cpu * 1000 / calls;
    state.counters["client_kib_per_call"] = rss_growth_kib / calls;
    state.counters["synapse_cpu_ms_per_call"] = synapse_cpu * 1000 / calls;
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--calls=", 8) == 0) {
      g_calls = std::max(1, std::atoi(argv[i] + 8));
    } else if (std::strncmp(argv[i], "--lanes=", 8) == 0) {
      g_lanes = std::max(1, std::atoi(argv[i] + 8));
    } else {
      rest.push_back(argv[i]);
    }
  }
  benchmark::RegisterBenchmark("SignallingThroughSynapse", BM_SignallingThroughSynapse)
      ->Iterations(1)
      ->UseManualTime()
      ->Unit(benchmark::kSecond);
  int rest_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_argc, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
