// A Synapse that rate-limits sending hard (2 events/s, burst 3): candidate sends get 429, wait retry_after_ms, and
// still arrive in order, exactly once; a hangup queued behind them overtakes the ones not yet sent.
#include <functional>
#include <map>
#include <mutex>

#include "helpers.hpp"
#include "mxcall/matrix/send_queue.hpp"
#include "runtime_phone.hpp"

namespace mxcall::testing {
namespace {

using nlohmann::json;

const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new SynapseEnvironment([] {
  SynapseOptions options;
  options.turn = false;
  options.message_per_second = 2;
  options.message_burst = 3;
  return options;
}()));

matrix::ClientConfig patient_config() {
  auto config = test_config();
  config.retry.max_attempts = 30;
  config.retry.max_total = std::chrono::milliseconds{60000};
  return config;
}

TEST(RateLimit, CandidatesArriveInOrderExactlyOnce) {
  auto alice = new_user("alice", patient_config());
  auto bob = new_user("bob", patient_config());
  auto room = shared_room(alice, bob);
  std::mutex mutex;
  std::vector<matrix::SendOutcome> outcomes;
  matrix::SendQueue queue(*alice.client, [&](const matrix::SendOutcome& outcome) {
    std::lock_guard lock(mutex);
    outcomes.push_back(outcome);
  });
  constexpr int kCandidates = 12;
  for (int i = 0; i < kCandidates; ++i) {
    json content = {{"call_id", "rl"},
                    {"party_id", "P"},
                    {"version", "1"},
                    {"candidates",
                     {{{"candidate", "candidate:" + std::to_string(i) + " 1 udp 1 127.0.0.1 9 typ host"},
                       {"sdpMid", "0"},
                       {"sdpMLineIndex", 0}}}}};
    queue.push(room, "m.call.candidates", content.dump());
  }
  queue.push(room, "m.call.hangup", R"({"call_id":"rl","party_id":"P","version":"1","reason":"user_hangup"})");
  ASSERT_TRUE(queue.wait_idle(std::chrono::seconds{90}));
  for (const auto& outcome : outcomes) EXPECT_TRUE(outcome.event_id.ok()) << outcome.event_id.error().message;
  EXPECT_GE(alice.client->stats().rate_limited, 1u) << "the test needs Synapse to have said 429";

  std::vector<int> order;
  int hangup_at = -1;
  for (const auto& event : room_events(*alice.client, room)) {
    if (event["type"] == "m.call.candidates") {
      std::string text = event["content"]["candidates"][0]["candidate"];
      order.push_back(std::stoi(text.substr(std::string("candidate:").size())));
    } else if (event["type"] == "m.call.hangup") {
      hangup_at = static_cast<int>(order.size());
    }
  }
  std::vector<int> expected;
  for (int i = 0; i < kCandidates; ++i) expected.push_back(i);
  EXPECT_EQ(order, expected);
  // The hangup went out as soon as the candidate in flight was done, not after all twelve.
  EXPECT_GE(hangup_at, 0);
  EXPECT_LE(hangup_at, 2);
}

// The admin API's per-user override frees one user on this strict server (what a test needing no 429s would use).
TEST(RateLimit, PerUserOverrideLiftsTheLimit) {
  auto carol = new_user("carol", patient_config());
  auto dave = new_user("dave", patient_config());
  auto room = shared_room(carol, dave);
  std::string error;
  ASSERT_TRUE(SynapseEnvironment::server().override_ratelimit(carol.user_id, 0, 0, &error)) << error;
  auto before = carol.client->stats().rate_limited;
  for (int i = 0; i < 10; ++i) {
    auto sent = carol.client->send_event(room, "m.call.candidates",
                                         R"({"call_id":"o","party_id":"P","version":"1","candidates":[]})",
                                         carol.client->next_txn_id());
    ASSERT_TRUE(sent.ok()) << sent.error().message;
  }
  EXPECT_EQ(carol.client->stats().rate_limited, before);
}

// A whole call on the strict server: its sends meet 429s, wait, and the call still connects and ends, each event
// stored once.
TEST(RateLimit, WholeCallConnectsDespite429) {
  auto alice = new_user("alice", patient_config());
  auto bob = new_user("bob", patient_config());
  auto room = shared_room(alice, bob);
  // The caller sends invite, candidates, select_answer and hangup: within the server's burst of 3 when the machine is
  // slow enough (sanitizer trees) that they spread over two seconds. A burst of 1 makes the candidates right behind
  // the invite meet a 429 at any speed.
  std::string error;
  ASSERT_TRUE(SynapseEnvironment::server().override_ratelimit(alice.user_id, 1, 1, &error)) << error;
  using namespace protocol;
  using namespace std::chrono_literals;
  Runtime runtime;
  Party a(runtime, phone_config(alice, patient_config().retry)), b(runtime, phone_config(bob, patient_config().retry));
  auto call = a->call(room);
  ASSERT_TRUE(call.ok()) << call.error().message;
  ASSERT_TRUE(runtime.run_until([&] { return b.seen.state(call->call_id) == CallState::ringing; }, 60s));
  b->answer(*call);
  ASSERT_TRUE(both_connected(runtime, a, b, call->call_id, 60s));
  // Four mute changes at once: four m.call.sdp_stream_metadata_changed, past the burst of 3, so the server says 429.
  for (bool muted : {true, false, true, false}) a->mute(*call, muted, false);
  a->hangup(*call);
  ASSERT_TRUE(runtime.run_until([&] { return b.seen.state(call->call_id) == CallState::ended; }, 60s));
  EXPECT_GE(a->homeserver_stats()->rate_limited + b->homeserver_stats()->rate_limited, 1u);
  a.phone.reset();  // each waits until its sends were handed over
  b.phone.reset();
  std::map<std::string, int> types;
  for (const auto& event : room_events(*alice.client, room)) ++types[event["type"].get<std::string>()];
  EXPECT_EQ(types["m.call.invite"], 1);
  EXPECT_EQ(types["m.call.answer"], 1);
  EXPECT_EQ(types["m.call.select_answer"], 1);
  EXPECT_EQ(types["m.call.hangup"], 1);
  EXPECT_EQ(types["m.call.sdp_stream_metadata_changed"], 4);
}

}  // namespace
}  // namespace mxcall::testing
