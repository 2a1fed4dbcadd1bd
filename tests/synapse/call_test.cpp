// Whole calls through a real Synapse: two or three devices, each a homeserver client in front of the call engine
// and the fake media engine (phone.hpp), so only signalling is under test.
#include <filesystem>
#include <functional>

#include "helpers.hpp"
#include "phone.hpp"

namespace mxcall::testing {
namespace {

using namespace protocol;
using nlohmann::json;

const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new SynapseEnvironment([] {
  SynapseOptions options;
  options.turn = false;
  return options;
}()));

// Steps every phone in turn until `done` holds or 30 s pass. Bounded: each step long-polls at most 200 ms.
bool run_until(std::vector<Phone*> phones, const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{30};
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    for (Phone* phone : phones) {
      if (!phone->step(100)) return false;
    }
  }
  return done();
}

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
  Phone a(*alice.client), b(*bob.client);
  a.step(0);
  b.step(0);
  a.act(action::Call{room, "call-whole", bob.user_id, false});
  ASSERT_TRUE(run_until({&a, &b}, [&] { return b.state("call-whole") == CallState::ringing; }));
  b.act(action::Answer{{room, "call-whole"}, false});
  ASSERT_TRUE(run_until({&a, &b}, [&] {
    return a.state("call-whole") == CallState::connected && b.state("call-whole") == CallState::connected;
  }));
  a.act(action::Hangup{{room, "call-whole"}});
  ASSERT_TRUE(run_until({&a, &b}, [&] { return b.state("call-whole") == CallState::ended; }));
  EXPECT_EQ(a.state("call-whole"), CallState::ended);
  EXPECT_EQ(b.end_reason("call-whole"), "user_hangup");
  ASSERT_TRUE(a.wait_sent() && b.wait_sent());
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
  auto bob_laptop = make_client();
  ASSERT_TRUE(bob_laptop->login_password(bob.localpart, bob.password).ok());
  Phone a(*alice.client), b1(*bob.client), b2(*bob_laptop);
  for (Phone* p : {&a, &b1, &b2}) p->step(0);
  a.act(action::Call{room, "call-two", bob.user_id, false});
  ASSERT_TRUE(run_until({&a, &b1, &b2}, [&] {
    return b1.state("call-two") == CallState::ringing && b2.state("call-two") == CallState::ringing;
  }));
  b1.act(action::Answer{{room, "call-two"}, false});
  ASSERT_TRUE(run_until({&a, &b1, &b2}, [&] {
    return a.state("call-two") == CallState::connected && b2.state("call-two") == CallState::ended;
  }));
  EXPECT_EQ(b2.end_reason("call-two"), kEndedAnsweredElsewhere);
  EXPECT_EQ(b1.state("call-two"), CallState::connected);
}

TEST(Call, RejectEndsTheCallerToo) {
  auto alice = new_user("alice");
  auto bob = new_user("bob");
  auto room = shared_room(alice, bob);
  Phone a(*alice.client), b(*bob.client);
  a.step(0);
  b.step(0);
  a.act(action::Call{room, "call-reject", bob.user_id, false});
  ASSERT_TRUE(run_until({&a, &b}, [&] { return b.state("call-reject") == CallState::ringing; }));
  b.act(action::Reject{{room, "call-reject"}});
  ASSERT_TRUE(run_until({&a, &b}, [&] { return a.state("call-reject") == CallState::ended; }));
  EXPECT_EQ(a.end_reason("call-reject"), kEndedRejected);
  ASSERT_TRUE(b.wait_sent());
  EXPECT_EQ(count(call_types(*alice.client, room), "m.call.reject"), 1);
}

TEST(Call, GlareLeavesOneConnectedCall) {
  auto alice = new_user("alice");
  auto bob = new_user("bob");
  auto room = shared_room(alice, bob);
  Phone a(*alice.client), b(*bob.client);
  a.step(0);
  b.step(0);
  // Both place a call before either has seen the other's invite.
  a.act(action::Call{room, "glare-a", bob.user_id, false});
  b.act(action::Call{room, "glare-b", alice.user_id, false});
  // The lower call id survives (byte order, as js-sdk, Nheko and the Dart SDK do): "glare-a".
  ASSERT_TRUE(run_until({&a, &b}, [&] {
    return a.state("glare-a") == CallState::connected && b.state("glare-a") == CallState::connected;
  }));
  // Bob's own call gave way; alice, holding the surviving call, never rang for the losing one.
  EXPECT_EQ(b.state("glare-b"), CallState::ended);
  EXPECT_FALSE(a.ever("glare-b", CallState::ringing));
}

// A callee that restarts mid-ring resumes from its session file; the call ended while it was away, so it must not
// ring again (rule 22: stored invites are signalled only after a sync, and this one is over).
TEST(Call, CalleeRestartsMidRingAndDoesNotRingForAnEndedCall) {
  auto dir = std::filesystem::temp_directory_path() / ("mxcall-restart-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto config = test_config();
  config.session_path = (dir / "bob.json").string();
  auto alice = new_user("alice");
  auto bob = new_user("bob", config);
  auto room = shared_room(alice, bob);
  Phone a(*alice.client);
  a.step(0);
  {
    Phone b(*bob.client);
    b.step(0);
    a.act(action::Call{room, "call-restart", bob.user_id, false});
    ASSERT_TRUE(run_until({&a, &b}, [&] { return b.state("call-restart") == CallState::ringing; }));
  }  // bob's process goes away while ringing
  bob.client.reset();
  a.act(action::Hangup{{room, "call-restart"}});
  ASSERT_TRUE(a.wait_sent());

  matrix::Client restarted(config);
  auto resumed = restarted.resume();
  ASSERT_TRUE(resumed.ok()) << resumed.error().message;
  EXPECT_FALSE(resumed->since.empty());
  Phone b2(restarted);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(b2.step(200));
  EXPECT_TRUE(b2.rang().empty());
  EXPECT_FALSE(b2.ever("call-restart", CallState::ringing));
  std::filesystem::remove_all(dir);
}

// Last in this program: it stops the shared Synapse. The callee answers while Synapse is down; the answer waits in
// the send queue, goes out once Synapse is back, the call connects, and every call event is stored exactly once.
TEST(Call, SynapseRestartedMidCallEveryEventOnce) {
  auto patient = test_config();
  patient.retry.max_attempts = 30;
  patient.retry.max_total = std::chrono::milliseconds{60000};
  patient.retry.max_backoff = std::chrono::milliseconds{1000};
  auto alice = new_user("alice", patient);
  auto bob = new_user("bob", patient);
  auto room = shared_room(alice, bob);
  Phone a(*alice.client), b(*bob.client);
  a.step(0);
  b.step(0);
  a.act(action::Call{room, "call-down", bob.user_id, false});
  ASSERT_TRUE(run_until({&a, &b}, [&] { return b.state("call-down") == CallState::ringing; }));
  auto& server = SynapseEnvironment::server();
  server.stop();
  b.act(action::Answer{{room, "call-down"}, false});  // queued; sent once Synapse is back
  std::string error;
  ASSERT_TRUE(server.start(&error)) << error;
  ASSERT_TRUE(run_until({&a, &b}, [&] {
    return a.state("call-down") == CallState::connected && b.state("call-down") == CallState::connected;
  }));
  a.act(action::Hangup{{room, "call-down"}});
  ASSERT_TRUE(run_until({&a, &b}, [&] { return b.state("call-down") == CallState::ended; }));
  ASSERT_TRUE(a.wait_sent() && b.wait_sent());
  EXPECT_GE(bob.client->stats().transport_errors, 1u);
  auto types = call_types(*alice.client, room);
  EXPECT_EQ(count(types, "m.call.invite"), 1);
  EXPECT_EQ(count(types, "m.call.answer"), 1);
  EXPECT_EQ(count(types, "m.call.select_answer"), 1);
  EXPECT_EQ(count(types, "m.call.hangup"), 1);
}

}  // namespace
}  // namespace mxcall::testing
