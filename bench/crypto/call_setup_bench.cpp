// How much end-to-end encryption adds to call setup: the time from placing a call to both sides connected, in an
// encrypted room (matrix-sdk-crypto, a new room key per call) and in a plain one, alternated call by call through
// the same Synapse in the same run. Reports the medians and their ratio. `--calls=N` per kind (default 20);
// `--key-per-call=0` keeps one room key across calls (OlmCryptoHook::set_new_room_key_per_call).
//
// Each call is placed by alice and answered by bob the moment it rings (two Phones: real clients in front of the
// router and the fake media engine), so what differs between the kinds is the key sharing and Megolm work.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "helpers.hpp"
#include "mxcall/crypto/olm_hook.hpp"
#include "phone.hpp"

namespace {

using namespace mxcall;
using namespace mxcall::protocol;
using Clock = std::chrono::steady_clock;
namespace mt = mxcall::testing;

int g_calls = 20;
bool g_key_per_call = true;

struct Pair {
  mt::TestUser alice, bob;
  std::shared_ptr<crypto::OlmCryptoHook> alice_hook, bob_hook;
  std::string room;
};

Pair make_pair(bool encrypted, const std::filesystem::path& dir) {
  Pair pair;
  auto config = [&](const std::string& name) {
    auto c = mt::test_config();
    if (encrypted) c.session_path = (dir / (name + ".json")).string();
    return c;
  };
  pair.alice = mt::new_user(encrypted ? "ealice" : "palice", config(encrypted ? "alice" : "palice"));
  pair.bob = mt::new_user(encrypted ? "ebob" : "pbob", config(encrypted ? "bob" : "pbob"));
  if (encrypted) {
    crypto::CryptoError error;
    pair.alice_hook = crypto::OlmCryptoHook::open_for(*pair.alice.client, true, &error);
    pair.bob_hook = crypto::OlmCryptoHook::open_for(*pair.bob.client, true, &error);
    if (!pair.alice_hook || !pair.bob_hook) {
      std::fprintf(stderr, "crypto store: %s\n", error.message.c_str());
      std::exit(1);
    }
    pair.alice_hook->set_new_room_key_per_call(g_key_per_call);
    pair.bob_hook->set_new_room_key_per_call(g_key_per_call);
    pair.alice.client->set_crypto_hook(pair.alice_hook);
    pair.bob.client->set_crypto_hook(pair.bob_hook);
  }
  pair.room = mt::shared_room(pair.alice, pair.bob, encrypted);
  return pair;
}

bool run_until(std::vector<mt::Phone*> phones, const std::function<bool()>& done) {
  auto deadline = Clock::now() + std::chrono::seconds{60};
  while (Clock::now() < deadline) {
    if (done()) return true;
    for (auto* phone : phones) {
      if (!phone->step(50)) return false;
    }
  }
  return done();
}

// One call from placing it to both sides connected, then hung up (not timed).
double one_call(mt::Phone& a, mt::Phone& b, const Pair& pair, const std::string& call_id) {
  auto start = Clock::now();
  a.act(action::Call{pair.room, call_id, pair.bob.user_id, false});
  if (!run_until({&a, &b}, [&] { return b.state(call_id) == CallState::ringing; })) return -1;
  b.act(action::Answer{{pair.room, call_id}, false});
  if (!run_until({&a, &b}, [&] {
        return a.state(call_id) == CallState::connected && b.state(call_id) == CallState::connected;
      })) {
    return -1;
  }
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  a.act(action::Hangup{{pair.room, call_id}});
  run_until({&a, &b}, [&] { return b.state(call_id) == CallState::ended; });
  a.wait_sent();
  b.wait_sent();
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
    Pair plain = make_pair(false, dir), encrypted = make_pair(true, dir);
    mt::Phone pa(*plain.alice.client), pb(*plain.bob.client);
    mt::Phone ea(*encrypted.alice.client), eb(*encrypted.bob.client);
    for (auto* phone : {&pa, &pb, &ea, &eb}) phone->step(0);
    std::vector<double> plain_s, encrypted_s;
    for (int i = 0; i < g_calls; ++i) {  // alternated, so both kinds see the same machine load
      double p = one_call(pa, pb, plain, "plain-" + std::to_string(i));
      double e = one_call(ea, eb, encrypted, "e2ee-" + std::to_string(i));
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
