// Two devices with real Olm and Megolm (matrix-sdk-crypto) exchanging keys through an in-memory key server: the
// whole encrypt, share, decrypt flow, a room key that arrives after its event, keys that survive a restart, and a
// tampered event.
#include <gtest/gtest.h>

#include "fake_key_server.hpp"
#include "mxcall/crypto/machine.hpp"
#include "test_devices.hpp"
#include "test_dir.hpp"

namespace mxcall::testing {
namespace {

using crypto::Machine;
using nlohmann::json;

constexpr const char* kRoom = "!call:example.org";

json invite_input(const std::string& call_id, bool call_start) {
  return {{"room_id", kRoom},
          {"type", "m.call.invite"},
          {"content", {{"call_id", call_id}, {"version", "1"}, {"lifetime", 60000}}},
          {"members", {kAlice, kBob}},
          {"call_start", call_start}};
}

json room_event(const json& content, const std::string& event_id) {
  return {{"type", "m.room.encrypted"}, {"content", content}, {"sender", kAlice},
          {"event_id", event_id},       {"room_id", kRoom},   {"origin_server_ts", 1700000000000}};
}

struct TwoDevices : ::testing::Test {
  TestDir dir;
  FakeKeyServer server;
  std::unique_ptr<Machine> alice = open_machine(kAlice, "ALICEDEV", dir / "alice", true);
  std::unique_ptr<Machine> bob = open_machine(kBob, "BOBDEV", dir / "bob", true);

  void SetUp() override {
    ASSERT_TRUE(alice && bob);
    EXPECT_GE(server.pump(*alice, kAlice, "ALICEDEV"), 1);  // device keys and one-time keys
    EXPECT_GE(server.pump(*bob, kBob, "BOBDEV"), 1);
  }
  json bob_sync() {
    auto reply = bob->receive_sync_changes(server.sync_changes(kBob, "BOBDEV").dump());
    EXPECT_TRUE(reply.ok()) << reply.error.message;
    return reply.ok() ? json::parse(*reply.value) : json{};
  }
  crypto::Reply bob_decrypt(const json& event) { return bob->decrypt(kRoom, event.dump()); }
};

TEST_F(TwoDevices, EncryptShareDecrypt) {
  // '.' is not in base64's alphabet, so the ciphertext cannot hold this call id by chance (a bare "c1" could).
  json content = server.encrypt(*alice, kAlice, "ALICEDEV", invite_input("call.one", true));
  ASSERT_TRUE(content.is_object());
  EXPECT_EQ(content["algorithm"], "m.megolm.v1.aes-sha2");
  EXPECT_EQ(content.dump().find("call.one"), std::string::npos);  // the call id is not on the wire
  json keys = bob_sync();
  ASSERT_EQ(keys["room_keys"].size(), 1u);
  EXPECT_EQ(keys["room_keys"][0]["room_id"], kRoom);
  auto reply = bob_decrypt(room_event(content, "$e1"));
  ASSERT_TRUE(reply.ok()) << reply.error.code << ": " << reply.error.message;
  json decrypted = json::parse(*reply.value);
  EXPECT_EQ(decrypted["event"]["type"], "m.call.invite");
  EXPECT_EQ(decrypted["event"]["content"]["call_id"], "call.one");
  EXPECT_EQ(decrypted["event"]["sender"], kAlice);
  EXPECT_EQ(decrypted["sender_device"], "ALICEDEV");
}

TEST_F(TwoDevices, LaterEventsOfACallNeedNoRequests) {
  ASSERT_TRUE(server.encrypt(*alice, kAlice, "ALICEDEV", invite_input("c1", true)).is_object());
  json candidates = invite_input("c1", false);
  candidates["type"] = "m.call.candidates";
  auto reply = alice->encrypt(candidates.dump());
  ASSERT_TRUE(reply.ok()) << reply.error.message;
  EXPECT_TRUE(json::parse(*reply.value).contains("content"));  // no key query, claim or share in between
}

// The first event of a call renews the room key only when the key could run out during the call, so the sharing
// falls there and not on a candidate batch mid-call, and most calls need no sharing at all.
TEST_F(TwoDevices, CallStartRenewsOnlyAKeyNearItsLimit) {
  json first = server.encrypt(*alice, kAlice, "ALICEDEV", invite_input("k1", true));
  ASSERT_TRUE(first.is_object());
  auto second_call = alice->encrypt(invite_input("k2", true).dump());
  ASSERT_TRUE(second_call.ok()) << second_call.error.message;
  json second = json::parse(*second_call.value);
  ASSERT_TRUE(second.contains("content")) << "a fresh key was renewed";
  EXPECT_EQ(second["content"]["session_id"], first["session_id"]);
  json candidates = invite_input("k2", false);
  candidates["type"] = "m.call.candidates";
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(alice->encrypt(candidates.dump()).ok());
  auto third_call = alice->encrypt(invite_input("k3", true).dump());
  ASSERT_TRUE(third_call.ok()) << third_call.error.message;
  EXPECT_TRUE(json::parse(*third_call.value).contains("requests")) << "a key with 48 messages left was kept";
  json third = server.encrypt(*alice, kAlice, "ALICEDEV", invite_input("k3", true));
  ASSERT_TRUE(third.is_object());
  EXPECT_NE(third["session_id"], first["session_id"]);
  bob_sync();
  auto reply = bob_decrypt(room_event(third, "$k3"));
  ASSERT_TRUE(reply.ok()) << reply.error.message;
  EXPECT_EQ(json::parse(*reply.value)["event"]["content"]["call_id"], "k3");
}

TEST_F(TwoDevices, RoomKeyArrivingAfterItsEventDecryptsIt) {
  std::vector<json> held;
  json content = server.encrypt(*alice, kAlice, "ALICEDEV", invite_input("c2", true), &held);
  ASSERT_FALSE(held.empty());
  json event = room_event(content, "$e2");
  auto early = bob_decrypt(event);
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.error.code, "missing_room_key");
  EXPECT_TRUE(early.error.retryable);
  for (const auto& request : held) server.deliver(kAlice, request);
  EXPECT_EQ(bob_sync()["room_keys"].size(), 1u);
  auto late = bob_decrypt(event);
  ASSERT_TRUE(late.ok()) << late.error.message;
  EXPECT_EQ(json::parse(*late.value)["event"]["content"]["call_id"], "c2");
}

TEST_F(TwoDevices, KeysSurviveARestart) {
  json first = server.encrypt(*alice, kAlice, "ALICEDEV", invite_input("c3", true));
  bob_sync();
  ASSERT_TRUE(bob_decrypt(room_event(first, "$e3")).ok());
  bob.reset();
  bob = open_machine(kBob, "BOBDEV", dir / "bob", false);
  ASSERT_TRUE(bob);
  auto old_event = bob_decrypt(room_event(first, "$e3"));
  ASSERT_TRUE(old_event.ok()) << old_event.error.message;
  // A new call after the restart: alice's new room key reaches bob over the Olm session kept in bob's store.
  json second = server.encrypt(*alice, kAlice, "ALICEDEV", invite_input("c4", true));
  bob_sync();
  auto new_event = bob_decrypt(room_event(second, "$e4"));
  ASSERT_TRUE(new_event.ok()) << new_event.error.message;
  EXPECT_EQ(json::parse(*new_event.value)["event"]["content"]["call_id"], "c4");
}

TEST_F(TwoDevices, TamperedEventIsUndecryptableForGood) {
  json content = server.encrypt(*alice, kAlice, "ALICEDEV", invite_input("c5", true));
  bob_sync();
  std::string ciphertext = content["ciphertext"];
  ciphertext[ciphertext.size() / 2] = ciphertext[ciphertext.size() / 2] == 'A' ? 'B' : 'A';
  content["ciphertext"] = ciphertext;
  auto reply = bob_decrypt(room_event(content, "$e5"));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error.code, "undecryptable");
  EXPECT_FALSE(reply.error.retryable);
}

TEST_F(TwoDevices, EventOfAnotherRoomIsRefused) {
  json content = server.encrypt(*alice, kAlice, "ALICEDEV", invite_input("c6", true));
  bob_sync();
  json event = room_event(content, "$e6");
  auto reply = bob->decrypt("!other:example.org", event.dump());
  EXPECT_FALSE(reply.ok());  // the room key is bound to its room: replaying the event elsewhere does not decrypt
}

}  // namespace
}  // namespace mxcall::testing
