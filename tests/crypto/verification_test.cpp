// Two devices verifying each other with SAS through the C ABI (mxc_verification) and an in-memory key server: the
// request, ready, start, accept, key exchange, the same seven emoji and three numbers on both sides, the MACs and
// done; a mismatch cancelling both sides with m.mismatched_sas. matrix-sdk-crypto runs the protocol; this checks our
// commands drive it and describe it truly.
#include <gtest/gtest.h>

#include "fake_key_server.hpp"
#include "mxcall/crypto/machine.hpp"
#include "test_devices.hpp"
#include "test_dir.hpp"

namespace mxcall::testing {
namespace {

using crypto::Machine;
using nlohmann::json;

struct Side {
  std::unique_ptr<Machine> machine;
  std::string user;
  std::string device;
};

struct Verification : ::testing::Test {
  TestDir dir;
  FakeKeyServer server;
  Side alice{open_machine(kAlice, "ALICEDEV", dir / "alice"), kAlice, "ALICEDEV"};
  Side bob{open_machine(kBob, "BOBDEV", dir / "bob"), kBob, "BOBDEV"};

  void SetUp() override {
    ASSERT_TRUE(alice.machine && bob.machine);
    server.pump(*alice.machine, kAlice, "ALICEDEV");
    server.pump(*bob.machine, kBob, "BOBDEV");
    // Bob must know Alice's device before her request arrives (the library drops requests from unknown devices).
    command(bob, {{"action", "watch"}, {"user_id", kAlice}});
  }

  // A command whose requests are answered by the key server and marked as sent; asked again while it answers with
  // requests alone (a key query first). Returns the value.
  json command(Side& side, const json& input) {
    for (int round = 0; round < 4; ++round) {
      auto reply = side.machine->verification(input.dump());
      EXPECT_TRUE(reply.ok()) << input << ": " << reply.error.code << " " << reply.error.message;
      if (!reply.ok()) return {};
      auto value = json::parse(*reply.value);
      for (const auto& request : value["requests"]) {
        auto marked =
            side.machine->mark_request_sent(request["id"].get<std::string>(), request["kind"].get<std::string>(),
                                            server.answer(side.user, side.device, request).dump());
        EXPECT_TRUE(marked.ok()) << marked.error.message;
      }
      if (value.contains("flow") || value.contains("flows")) return value;
    }
    ADD_FAILURE() << "no answer to " << input << " after 4 rounds";
    return {};
  }

  // Each side takes its to-device inbox and sends what the machine queued in answer, until both are quiet.
  void exchange() {
    for (int round = 0; round < 6; ++round) {
      int sent = 0;
      for (Side* side : {&alice, &bob}) {
        auto taken = side->machine->receive_sync_changes(server.sync_changes(side->user, side->device).dump());
        EXPECT_TRUE(taken.ok()) << taken.error.message;
        sent += server.pump(*side->machine, side->user, side->device);
      }
      if (sent == 0) return;
    }
  }

  json flow_of(Side& side, const std::string& flow_id) {
    json listed = command(side, {{"action", "list"}});  // kept: a loop over a temporary's member would dangle
    for (const auto& flow : listed["flows"]) {
      if (flow["flow_id"] == flow_id) return flow;
    }
    return {};
  }

  json step(Side& side, const char* action, const json& flow) {
    json answer = command(side, {{"action", action}, {"user_id", flow["user_id"]}, {"flow_id", flow["flow_id"]}});
    return answer["flow"];
  }

  // Alice asks Bob's device; Bob accepts; Alice starts SAS; Bob accepts it; keys are exchanged. The flow id.
  std::string up_to_the_emoji() {
    json asked = command(alice, {{"action", "request"}, {"user_id", kBob}, {"device_id", "BOBDEV"}})["flow"];
    EXPECT_EQ(asked["state"], "requested");
    EXPECT_EQ(asked["we_started"], true);
    std::string flow_id = asked["flow_id"];
    exchange();
    json incoming = flow_of(bob, flow_id);
    EXPECT_EQ(incoming["state"], "requested") << incoming;
    EXPECT_EQ(incoming["we_started"], false);
    EXPECT_EQ(incoming["user_id"], kAlice);
    EXPECT_EQ(step(bob, "accept", incoming)["state"], "ready");
    exchange();
    json ready = flow_of(alice, flow_id);
    EXPECT_EQ(ready["state"], "ready") << ready;
    EXPECT_EQ(ready["device_id"], "BOBDEV");
    EXPECT_EQ(step(alice, "start_sas", ready)["state"], "started");
    exchange();
    json started = flow_of(bob, flow_id);
    EXPECT_EQ(started["state"], "started") << started;
    step(bob, "accept_sas", started);
    exchange();
    return flow_id;
  }
};

TEST_F(Verification, SasBothWaysShowsTheSameEmojiAndEndsDone) {
  std::string flow_id = up_to_the_emoji();
  json at_alice = flow_of(alice, flow_id);
  json at_bob = flow_of(bob, flow_id);
  ASSERT_EQ(at_alice["state"], "keys_exchanged") << at_alice;
  ASSERT_EQ(at_bob["state"], "keys_exchanged") << at_bob;
  ASSERT_EQ(at_alice["emoji"].size(), 7u);
  EXPECT_EQ(at_alice["emoji"], at_bob["emoji"]);
  EXPECT_EQ(at_alice["decimals"], at_bob["decimals"]);
  for (const auto& e : at_alice["emoji"]) EXPECT_FALSE(e["name"].get<std::string>().empty());

  EXPECT_EQ(step(alice, "confirm", at_alice)["state"], "confirmed");
  exchange();
  EXPECT_EQ(flow_of(bob, flow_id)["state"], "keys_exchanged");  // Bob has not compared yet
  step(bob, "confirm", at_bob);
  exchange();
  EXPECT_EQ(flow_of(alice, flow_id)["state"], "done") << flow_of(alice, flow_id);
  EXPECT_EQ(flow_of(bob, flow_id)["state"], "done") << flow_of(bob, flow_id);
  // Confirming again is refused rather than sent twice.
  auto again = alice.machine->verification(json{{"action", "confirm"}, {"user_id", kBob}, {"flow_id", flow_id}}.dump());
  EXPECT_FALSE(again.ok() && !json::parse(*again.value)["requests"].empty());
}

TEST_F(Verification, MismatchCancelsBothSidesWithItsCode) {
  std::string flow_id = up_to_the_emoji();
  json at_bob = flow_of(bob, flow_id);
  ASSERT_EQ(at_bob["state"], "keys_exchanged");
  json cancelled = step(bob, "mismatch", at_bob);
  EXPECT_EQ(cancelled["state"], "cancelled");
  EXPECT_EQ(cancelled["cancel"]["code"], "m.mismatched_sas");
  EXPECT_EQ(cancelled["cancel"]["by_us"], true);
  exchange();
  json at_alice = flow_of(alice, flow_id);
  EXPECT_EQ(at_alice["state"], "cancelled") << at_alice;
  EXPECT_EQ(at_alice["cancel"]["code"], "m.mismatched_sas");
  EXPECT_EQ(at_alice["cancel"]["by_us"], false);
  // A confirm after the cancel changes nothing.
  auto late = alice.machine->verification(json{{"action", "confirm"}, {"user_id", kBob}, {"flow_id", flow_id}}.dump());
  EXPECT_FALSE(late.ok() && json::parse(*late.value)["flow"]["state"] != "cancelled");
}

TEST_F(Verification, UnknownDeviceListsTheKnownOnes) {
  auto reply =
      alice.machine->verification(json{{"action", "request"}, {"user_id", kBob}, {"device_id", "NOSUCH"}}.dump());
  for (int round = 0; round < 3 && reply.ok(); ++round) {  // the key query for Bob first
    json value = json::parse(*reply.value);
    for (const auto& request : value["requests"]) {
      alice.machine->mark_request_sent(request["id"].get<std::string>(), request["kind"].get<std::string>(),
                                       server.answer(kAlice, "ALICEDEV", request).dump());
    }
    reply = alice.machine->verification(json{{"action", "request"}, {"user_id", kBob}, {"device_id", "NOSUCH"}}.dump());
  }
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error.code, "unknown_device");
  EXPECT_NE(reply.error.message.find("BOBDEV"), std::string::npos) << reply.error.message;
}

}  // namespace
}  // namespace mxcall::testing
