// How much end-to-end encryption adds to call setup: the time from placing a call to both sides connected, in an
// encrypted room (matrix-sdk-crypto, a new room key per call) and in a plain one, alternated call by call through
// the same Synapse in the same run. Reports the medians and their ratio. `--calls=N` per kind (default 20);
// `--key-per-call=0` keeps one room key across calls (EncryptionConfig::new_room_key_per_call).
//
// Each call is placed by alice and answered by bob the moment it rings (mxcall::Phone with the fake media engine),
// so what differs between the kinds is the key sharing and Megolm work.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "runtime_phone.hpp"

namespace {

using namespace mxcall;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace mt = mxcall::testing;

int g_calls = 20;
bool g_key_per_call = true;

// Two phones in one room: with session files (so each has a crypto store) in an encrypted room, or without (no
// store, encryption off) in a plain one.
struct Pair {
  mt::TestUser alice, bob;
  std::string room;
  std::unique_ptr<mt::Party> a, b;
};

std::unique_ptr<Pair> make_pair(Runtime& runtime, bool encrypted, const std::filesystem::path& dir) {
  auto pair = std::make_unique<Pair>();
  pair->alice = mt::new_user(encrypted ? "ealice" : "palice");
  pair->bob = mt::new_user(encrypted ? "ebob" : "pbob");
  pair->room = mt::shared_room(pair->alice, pair->bob, encrypted);
  auto config = [&](const mt::TestUser& user) {
    auto c = mt::phone_config(user);
    if (encrypted) c.session_path = (dir / (user.localpart + ".json")).string();
    c.encryption.new_room_key_per_call = g_key_per_call;
    return c;
  };
  pair->a = std::make_unique<mt::Party>(runtime, config(pair->alice));
  pair->b = std::make_unique<mt::Party>(runtime, config(pair->bob));
  if (!pair->a->phone || !pair->b->phone ||
      encrypted != ((*pair->a)->device_identity().has_value() && (*pair->b)->device_identity().has_value())) {
    std::fprintf(stderr, "the %s phones did not start as asked\n", encrypted ? "encrypted" : "plain");
    std::exit(1);
  }
  return pair;
}

// One call from placing it to both sides connected, then hung up (not timed). Negative: it failed.
double one_call(Runtime& runtime, Pair& pair) {
  auto& a = *pair.a;
  auto& b = *pair.b;
  auto start = Clock::now();
  auto call = a->call(pair.room);
  if (!call) return -1;
  const auto id = call->call_id;
  if (!runtime.run_until([&] { return b.seen.state(id) == CallState::ringing; }, 60s)) return -1;
  b->answer(*call);
  if (!runtime.run_until(
          [&] { return a.seen.state(id) == CallState::connected && b.seen.state(id) == CallState::connected; }, 60s)) {
    return -1;
  }
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  a->hangup(*call);
  runtime.run_until([&] { return b.seen.state(id) == CallState::ended; }, 30s);
  return seconds;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n == 0 ? 0 : (n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2);
}

void BM_CallSetupEncryptedVersusPlain(benchmark::State& state) {
  auto dir = std::filesystem::temp_directory_path() / ("mxcall-setup-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  for (auto _ : state) {
    Runtime runtime;
    auto plain = make_pair(runtime, false, dir);
    auto encrypted = make_pair(runtime, true, dir);
    std::vector<double> plain_s, encrypted_s;
    for (int i = 0; i < g_calls; ++i) {  // alternated, so both kinds see the same machine load
      double p = one_call(runtime, *plain);
      double e = one_call(runtime, *encrypted);
      if (p < 0 || e < 0) {
        state.SkipWithError("a call did not connect within 60 s");
        break;
      }
      plain_s.push_back(p);
      encrypted_s.push_back(e);
    }
    double mp = median(plain_s), me = median(encrypted_s);
    state.SetIterationTime(me);
    state.counters["calls_per_kind"] = static_cast<double>(plain_s.size());
    state.counters["plain_median_ms"] = mp * 1000;
    state.counters["encrypted_median_ms"] = me * 1000;
    state.counters["added_ms"] = (me - mp) * 1000;
    state.counters["ratio_encrypted_to_plain"] = mp > 0 ? me / mp : 0;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--calls=", 0) == 0) {
      g_calls = std::max(1, std::atoi(arg.c_str() + 8));
    } else if (arg == "--key-per-call=0") {
      g_key_per_call = false;
    } else {
      rest.push_back(argv[i]);
    }
  }
  mt::SynapseOptions options;
  options.turn = false;
  mt::SynapseEnvironment synapse(options);
  synapse.SetUp();
  benchmark::RegisterBenchmark("CallSetupEncryptedVersusPlain", BM_CallSetupEncryptedVersusPlain)
      ->Iterations(1)
      ->UseManualTime()
      ->Unit(benchmark::kMillisecond);
  int rest_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_argc, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  synapse.TearDown();
  return 0;
}
