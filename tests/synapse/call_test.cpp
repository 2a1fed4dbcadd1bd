// Whole calls through a real Synapse: two or three devices, each an mxcall::Phone (the runtime: its sync and send
// threads, its loop) with the fake media engine (runtime_phone.hpp), so only signalling is under test.
#include <filesystem>
#include <functional>

#include "runtime_phone.hpp"

namespace mxcall::testing {
namespace {

using namespace protocol;
using nlohmann::json;
using namespace std::chrono_literals;

const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new SynapseEnvironment([] {
  SynapseOptions options;
  options.turn = false;
  return options;
}()));

std::vector<std::string> call_types(matrix::Client& client, const std::string& room) {
  std::vector<std::string> types;
  for (const auto& event : room_events(client, room)) {
    std::string type = event["type"];
    if (type.rfind("m.call.", 0) == 0) types.push_back(type);
  }
  return types;
}

int count(const std::vector<std::string>& types, const std::string& type) {
  return static_cast<int>(std::count(types.begin(), types.end(), type));
}

TEST(Call, WholeCallInviteAnswerSelectHangup) {
  auto alice = new_user("alice");
  auto bob = new_user("bob");
  auto room = shared_room(alice, bob);
  Runtime runtime;
  Party a(runtime, phone_config(alice)), b(runtime, phone_config(bob));
  auto call = a->call(room);
  ASSERT_TRUE(call.ok()) << call.error().message;
  ASSERT_TRUE(runtime.run_until([&] { return b.seen.state(call->call_id) == CallState::ringing; }, 30s));
  EXPECT_EQ(b.seen.incoming.back().caller, alice.user_id);
  b->answer(*call);
  ASSERT_TRUE(both_connected(runtime, a, b, call->call_id, 30s));
  a->hangup(*call);
  ASSERT_TRUE(runtime.run_until([&] { return b.seen.state(call->call_id) == CallState::ended; }, 30s));
  EXPECT_EQ(a.seen.state(call->call_id), CallState::ended);
  EXPECT_EQ(b.seen.end_reason(call->call_id), "user_hangup");
  a->hangup_all();
  b->hangup_all();
  a.phone.reset();  // every send handed over before the room is read back
  b.phone.reset();
  auto types = call_types(*alice.client, room);
  EXPECT_EQ(count(types, "m.call.invite"), 1);
  EXPECT_EQ(count(types, "m.call.answer"), 1);
  EXPECT_EQ(count(types, "m.call.select_answer"), 1);
  EXPECT_EQ(count(types, "m.call.hangup"), 1);
  EXPECT_GE(count(types, "m.call.candidates"), 1);  // at least the end-of-candidates markers
}

TEST(Call, SecondCalleeDeviceStopsRingingWhenOneAnswers) {
  auto alice = new_user("alice");
  auto bob = new_user("bob");
  auto room = shared_room(alice, bob);
  TestUser bob_laptop{bob.localpart, bob.user_id, bob.password, make_client()};
  ASSERT_TRUE(bob_laptop.client->login_password(bob.localpart, bob.password).ok());
  Runtime runtime;
  Party a(runtime, phone_config(alice)), b1(runtime, phone_config(bob)), b2(runtime, phone_config(bob_laptop));
  auto call = a->call(room);
  ASSERT_TRUE(call.ok());
  answer_on_one_of_two_devices(runtime, a, b1, b2, *call);
  if (HasFatalFailure()) return;
  EXPECT_EQ(b1.seen.state(call->call_id), CallState::connected);
}

TEST(Call, RejectEndsTheCallerToo) {
  auto alice = new_user("alice");
  auto bob = new_user("bob");
  auto room = shared_room(alice, bob);
  Runtime runtime;
  Party a(runtime, phone_config(alice)), b(runtime, phone_config(bob));
  auto call = a->call(room);
  ASSERT_TRUE(call.ok());
  ASSERT_TRUE(runtime.run_until([&] { return b.seen.state(call->call_id) == CallState::ringing; }, 30s));
  b->reject(*call);
  ASSERT_TRUE(runtime.run_until([&] { return a.seen.state(call->call_id) == CallState::ended; }, 30s));
  EXPECT_EQ(a.seen.end_reason(call->call_id), kEndedRejected);
  EXPECT_FALSE(a.seen.ended()->local);
  b.phone.reset();
  EXPECT_EQ(count(call_types(*alice.client, room), "m.call.reject"), 1);
}

TEST(Call, GlareLeavesOneConnectedCall) {
  auto alice = new_user("alice");
  auto bob = new_user("bob");
  auto room = shared_room(alice, bob);
  // Glare applies only to the user we call (rule 62): placed by room id, that is the other member of a direct chat,
  // which the runtime finds in m.direct. In a room that is not a direct chat both calls would ring.
  ASSERT_TRUE(alice.client->add_direct(bob.user_id, room).ok());
  ASSERT_TRUE(bob.client->add_direct(alice.user_id, room).ok());
  Runtime runtime;
  Party a(runtime, phone_config(alice)), b(runtime, phone_config(bob));
  // Both place a call before either has seen the other's invite: the loop has not run in between.
  auto from_a = a->call(room);
  auto from_b = b->call(room);
  ASSERT_TRUE(from_a.ok() && from_b.ok());
  // The lower call id survives (byte order, as js-sdk, Nheko and the Dart SDK do).
  bool a_wins = from_a->call_id < from_b->call_id;
  const std::string& survivor = a_wins ? from_a->call_id : from_b->call_id;
  const std::string& loser = a_wins ? from_b->call_id : from_a->call_id;
  ASSERT_TRUE(both_connected(runtime, a, b, survivor, 30s));
  // The loser's own call gave way; the survivor's placer never rang for the losing one.
  Party& loser_party = a_wins ? b : a;
  Party& winner_party = a_wins ? a : b;
  EXPECT_EQ(loser_party.seen.state(loser), CallState::ended);
  EXPECT_FALSE(winner_party.seen.ever(loser, CallState::ringing));
}

// A callee that restarts mid-ring resumes from its session file; the call ended while it was away, so it must not
// ring again (rule 22: stored invites are signalled only after a sync, and this one is over).
TEST(Call, CalleeRestartsMidRingAndDoesNotRingForAnEndedCall) {
  auto dir = std::filesystem::temp_directory_path() / ("mxcall-restart-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto alice = new_user("alice");
  auto bob = new_user("bob");
  auto room = shared_room(alice, bob);
  Runtime runtime;
  Party a(runtime, phone_config(alice));
  auto bob_config = phone_config(bob);
  bob_config.session_path = (dir / "bob.json").string();
  std::optional<CallRef> call;
  {
    Party b(runtime, bob_config);
    call = a->call(room).value();
    ASSERT_TRUE(runtime.run_until([&] { return b.seen.state(call->call_id) == CallState::ringing; }, 30s));
  }  // bob's process goes away while ringing (a ringing call is left alone)
  a->hangup(*call);
  ASSERT_TRUE(runtime.run_until([&] { return a.seen.state(call->call_id) == CallState::ended; }, 30s));
  a->hangup_all();

  auto resumed_config = bob_config;
  resumed_config.access_token.clear();  // from the session file alone
  Party b2(runtime, resumed_config);
  runtime.run_until([] { return false; }, 3s);  // a few syncs
  EXPECT_TRUE(b2.seen.incoming.empty());
  EXPECT_FALSE(b2.seen.ever(call->call_id, CallState::ringing));
  std::filesystem::remove_all(dir);
}

// Last in this program: it stops the shared Synapse. The callee answers while Synapse is down; the answer waits in
// the send queue, goes out once Synapse is back, the call connects, and every call event is stored exactly once.
TEST(Call, SynapseRestartedMidCallEveryEventOnce) {
  auto patient = test_config().retry;
  patient.max_attempts = 30;
  patient.max_total = std::chrono::milliseconds{60000};
  patient.max_backoff = std::chrono::milliseconds{1000};
  auto alice = new_user("alice");
  auto bob = new_user("bob");
  auto room = shared_room(alice, bob);
  Runtime runtime;
  Party a(runtime, phone_config(alice, patient)), b(runtime, phone_config(bob, patient));
  auto call = a->call(room);
  ASSERT_TRUE(call.ok());
  ASSERT_TRUE(runtime.run_until([&] { return b.seen.state(call->call_id) == CallState::ringing; }, 30s));
  answer_across_a_synapse_restart(runtime, a, b, *call, 500ms);
  a.phone.reset();
  b.phone.reset();
  auto types = call_types(*alice.client, room);
  EXPECT_EQ(count(types, "m.call.invite"), 1);
  EXPECT_EQ(count(types, "m.call.answer"), 1);
  EXPECT_EQ(count(types, "m.call.select_answer"), 1);
  EXPECT_EQ(count(types, "m.call.hangup"), 1);
}

}  // namespace
}  // namespace mxcall::testing
