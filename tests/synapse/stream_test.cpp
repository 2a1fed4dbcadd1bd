// Events through a real Synapse: the sync filter and since token, the hand-over to the protocol layer's reader,
// idempotent sends, the send queue's order, encrypted rooms, and a Synapse restart in the middle of a stream.
#include <map>
#include <mutex>
#include <thread>

#include "helpers.hpp"
#include "mxcall/matrix/send_queue.hpp"
#include "mxcall/matrix/syncer.hpp"
#include "mxcall/protocol/event_reader.hpp"
#include "net_helpers.hpp"

namespace mxcall::testing {
namespace {

using nlohmann::json;

std::string invite_content(const std::string& call_id) {
  return json{{"call_id", call_id},
              {"party_id", "PARTYaaa"},
              {"version", "1"},
              {"lifetime", 60000},
              {"offer", {{"type", "offer"}, {"sdp", "v=0\r\n"}}}}
      .dump();
}

std::string candidates_content(const std::string& call_id, int n) {
  return json{{"call_id", call_id},
              {"party_id", "PARTYaaa"},
              {"version", "1"},
              {"candidates",
               {{{"candidate", "candidate:" + std::to_string(n) + " 1 udp 1 127.0.0.1 9 typ host"},
                 {"sdpMid", "0"},
                 {"sdpMLineIndex", 0}}}}}
      .dump();
}

std::string hangup_content(const std::string& call_id) {
  return json{{"call_id", call_id}, {"party_id", "PARTYaaa"}, {"version", "1"}, {"reason", "user_hangup"}}.dump();
}

std::vector<json> timeline_of(const matrix::SyncBatch& batch, const std::string& room_id) {
  std::vector<json> events;
  for (const auto& room : batch.rooms) {
    if (room.room_id != room_id) continue;
    for (auto& event : json::parse(room.timeline_json)) events.push_back(event);
  }
  return events;
}

TEST(Sync, FilterKeepsCallEventsAndSinceResumes) {
  auto alice = new_user("alice");
  auto bob = new_user("bob");
  auto room = shared_room(alice, bob);
  ASSERT_TRUE(
      alice.client
          ->send_event(room, "m.room.message", R"({"msgtype":"m.text","body":"hi"})", alice.client->next_txn_id())
          .ok());
  ASSERT_TRUE(
      alice.client->send_event(room, "m.call.invite", invite_content("call1"), alice.client->next_txn_id()).ok());
  ASSERT_TRUE(alice.client
                  ->send_event(room, "org.matrix.call.sdp_stream_metadata_changed",
                               R"({"call_id":"call1","party_id":"PARTYaaa","version":"1"})",
                               alice.client->next_txn_id())
                  .ok());

  auto initial = bob.client->sync();
  ASSERT_TRUE(initial.ok()) << initial.error().message;
  EXPECT_TRUE(initial->initial());
  std::map<std::string, int> types;
  for (const auto& event : timeline_of(*initial, room)) ++types[event["type"]];
  EXPECT_EQ(types.count("m.room.message"), 0u);
  EXPECT_EQ(types["m.call.invite"], 1);
  EXPECT_EQ(types["org.matrix.call.sdp_stream_metadata_changed"], 1);
  EXPECT_GE(types["m.room.member"], 1);
  for (const auto& r : initial->rooms) {
    if (r.room_id == room) {
      EXPECT_EQ(r.join_rule_public, std::optional<bool>{false});  // private_chat: join rule "invite"
    }
  }
  for (const auto& [type, count] : types) {
    EXPECT_TRUE(type.rfind("m.call.", 0) == 0 || type.rfind("org.matrix.call.", 0) == 0 || type == "m.room.member" ||
                type == "m.room.join_rules" || type == "m.room.encryption")
        << type;
  }
  ASSERT_TRUE(bob.client->commit(*initial).ok());

  ASSERT_TRUE(
      alice.client->send_event(room, "m.call.hangup", hangup_content("call1"), alice.client->next_txn_id()).ok());
  std::vector<json> later;
  ASSERT_TRUE(sync_until(*bob.client, [&](const matrix::SyncBatch& batch) {
    EXPECT_FALSE(batch.initial());
    for (auto& event : timeline_of(batch, room)) later.push_back(event);
    return !later.empty();
  }));
  ASSERT_EQ(later.size(), 1u);  // only what is new since the committed token
  EXPECT_EQ(later[0]["type"], "m.call.hangup");
}

// The timeline text is what the protocol layer's reader takes, one room's array at a time.
TEST(Sync, TimelineFeedsTheEventReader) {
  auto alice = new_user("alice");
  auto bob = new_user("bob");
  auto room = shared_room(alice, bob);
  ASSERT_TRUE(
      alice.client->send_event(room, "m.call.invite", invite_content("callR"), alice.client->next_txn_id()).ok());
  auto batch = bob.client->sync();
  ASSERT_TRUE(batch.ok());
  protocol::EventReader reader;
  std::vector<protocol::ReadResult> results;
  int invites = 0;
  for (const auto& r : batch->rooms) {
    if (r.room_id != room) continue;
    auto error = reader.read_events(r.timeline_json, r.room_id, results);
    ASSERT_FALSE(error.has_value()) << error->to_string();
  }
  for (const auto& result : results) {
    if (result.status == protocol::ReadStatus::call_event) {
      ++invites;
      EXPECT_EQ(result.type, "m.call.invite");
    }
  }
  EXPECT_EQ(invites, 1);
}

TEST(Send, SameTransactionIdIsOneEvent) {
  auto alice = new_user("alice");
  auto bob = new_user("bob");
  auto room = shared_room(alice, bob);
  auto txn = alice.client->next_txn_id();
  auto first = alice.client->send_event(room, "m.call.invite", invite_content("callT"), txn);
  auto again = alice.client->send_event(room, "m.call.invite", invite_content("callT"), txn);
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(*first, *again);
  EXPECT_EQ(room_events(*alice.client, room, "m.call.invite").size(), 1u);
}

// The request reaches Synapse, the reply is lost, the client retries with the same transaction id: one event.
TEST(Send, RetryAfterLostReplyStoresOneEvent) {
  auto alice = new_user("alice");
  auto bob = new_user("bob");
  auto room = shared_room(alice, bob);
  DroppingProxy proxy(SynapseEnvironment::server().port());
  auto via_proxy = make_client(proxy.url());
  via_proxy->set_session(alice.client->session());
  proxy.drop_replies("/send/m.call.invite/", 1);
  auto sent = via_proxy->send_event(room, "m.call.invite", invite_content("callD"), via_proxy->next_txn_id());
  ASSERT_TRUE(sent.ok()) << sent.error().message;
  EXPECT_EQ(proxy.dropped(), 1);
  EXPECT_GE(via_proxy->stats().transport_errors, 1u);
  auto invites = room_events(*alice.client, room, "m.call.invite");
  ASSERT_EQ(invites.size(), 1u);
  EXPECT_EQ(invites[0]["event_id"], *sent);
}

TEST(SendQueue, HangupJumpsAheadOfQueuedCandidates) {
  auto alice = new_user("alice");
  auto bob = new_user("bob");
  auto room = shared_room(alice, bob);
  matrix::SendQueue queue(*alice.client);
  queue.pause();
  queue.push(room, "m.call.invite", invite_content("callQ"));
  for (int i = 0; i < 5; ++i) queue.push(room, "m.call.candidates", candidates_content("callQ", i));
  queue.push(room, "m.call.hangup", hangup_content("callQ"));
  queue.resume();
  ASSERT_TRUE(queue.wait_idle(std::chrono::seconds{30}));
  std::vector<std::string> order;
  for (const auto& event : room_events(*alice.client, room)) {
    if (event["type"].get<std::string>().rfind("m.call.", 0) == 0) order.push_back(event["type"]);
  }
  std::vector<std::string> expected = {"m.call.invite", "m.call.hangup"};
  for (int i = 0; i < 5; ++i) expected.push_back("m.call.candidates");
  EXPECT_EQ(order, expected);
}

TEST(Encrypted, ReportedOnceNamingTheRoom) {
  auto alice = new_user("alice");
  auto bob = new_user("bob");
  auto room = shared_room(alice, bob, /*encrypted=*/true);
  ASSERT_TRUE(alice.client
                  ->send_event(room, "m.room.encrypted",
                               R"({"algorithm":"m.megolm.v1.aes-sha2","ciphertext":"AAAA","sender_key":"k",
                                           "session_id":"s","device_id":"D"})",
                               alice.client->next_txn_id())
                  .ok());
  std::vector<matrix::Notice> notices;
  for (int i = 0; i < 3; ++i) {
    auto batch = bob.client->sync(matrix::SyncOptions{std::chrono::milliseconds{200}, false, nullptr});
    ASSERT_TRUE(batch.ok());
    ASSERT_TRUE(bob.client->commit(*batch).ok());
    for (const auto& n : batch->notices) notices.push_back(n);
    ASSERT_TRUE(
        alice.client
            ->send_event(room, "m.room.encrypted", R"({"algorithm":"x","ciphertext":"B"})", alice.client->next_txn_id())
            .ok());
  }
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].kind, matrix::NoticeKind::encrypted_room_without_hook);
  EXPECT_EQ(notices[0].room_id, room);
  EXPECT_NE(notices[0].message.find(room), std::string::npos);
  EXPECT_NE(notices[0].message.find("cannot be seen"), std::string::npos);
  EXPECT_TRUE(bob.client->room_encrypted(room));
}

// A stand-in for real Megolm: the "ciphertext" is the plaintext event, so the hook plumbing is what is tested.
class PlaintextHook : public matrix::CryptoHook {
 public:
  matrix::DecryptOutcome decrypt(std::string_view, std::string_view event_json) override {
    auto event = json::parse(event_json);
    auto content = event.value("content", json::object());
    if (content.value("algorithm", "") != "test.plaintext") return {std::nullopt, false, "not test.plaintext"};
    return {content["ciphertext"].get<std::string>(), false, {}};
  }
  matrix::EncryptStep encrypt(std::string_view, std::string_view type, std::string_view content,
                              const std::vector<std::string>& members, bool) override {
    EXPECT_EQ(members.size(), 2u);  // the joined members reach the hook, so it can share the room key with them
    json inner = {{"type", type}, {"content", json::parse(content)}};
    return {json{{"algorithm", "test.plaintext"}, {"ciphertext", inner.dump()}}.dump(), {}, {}};
  }
};

TEST(Encrypted, HookEncryptsAndDecrypts) {
  auto alice = new_user("alice");
  auto bob = new_user("bob");
  auto room = shared_room(alice, bob, /*encrypted=*/true);
  auto hook = std::make_shared<PlaintextHook>();
  alice.client->set_crypto_hook(hook);
  bob.client->set_crypto_hook(hook);
  auto first = alice.client->sync();  // learns that the room is encrypted
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->notices.empty());
  ASSERT_TRUE(alice.client->room_encrypted(room));
  ASSERT_TRUE(
      alice.client->send_event(room, "m.call.invite", invite_content("callE"), alice.client->next_txn_id()).ok());
  EXPECT_EQ(room_events(*alice.client, room, "m.room.encrypted").size(), 1u);  // on the wire it is encrypted

  auto batch = bob.client->sync();
  ASSERT_TRUE(batch.ok());
  int invites = 0;
  for (const auto& event : timeline_of(*batch, room)) {
    if (event["type"] == "m.call.invite") {
      ++invites;
      EXPECT_EQ(event["content"]["call_id"], "callE");
      EXPECT_EQ(event["sender"], alice.user_id);
      EXPECT_TRUE(event.contains("event_id"));
    }
  }
  EXPECT_EQ(invites, 1);
}

// Last in this program: it stops the shared Synapse. Events queued while it is down are sent once it is back, each
// exactly once, in order; the peer's sync resumes and sees each exactly once too.
TEST(Restart, SynapseStoppedMidStreamEveryEventOnce) {
  auto patient = test_config();  // enough budget to outlast a restart (a few seconds)
  patient.retry.max_attempts = 20;
  patient.retry.max_total = std::chrono::milliseconds{60000};
  patient.retry.max_backoff = std::chrono::milliseconds{1000};
  auto alice = new_user("alice", patient);
  auto bob = new_user("bob", patient);
  auto room = shared_room(alice, bob);
  ASSERT_TRUE(bob.client->commit(*bob.client->sync()).ok());

  std::mutex mutex;
  std::vector<std::string> seen;  // call ids in the order bob's syncer saw them
  matrix::SyncerOptions sync_options;
  sync_options.poll_timeout = std::chrono::milliseconds{2000};
  sync_options.max_consecutive_failures = 20;
  sync_options.pause_after_failure = std::chrono::milliseconds{500};
  std::optional<matrix::Error> sync_error;
  matrix::Syncer syncer(
      *bob.client,
      [&](const matrix::SyncBatch& batch) {
        std::lock_guard lock(mutex);
        for (const auto& event : timeline_of(batch, room)) {
          if (event["type"] == "m.call.invite") seen.push_back(event["content"]["call_id"]);
        }
      },
      [&](const matrix::Error& e) { sync_error = e; }, sync_options);
  syncer.start();

  std::vector<matrix::SendOutcome> outcomes;
  matrix::SendQueue queue(*alice.client, [&](const matrix::SendOutcome& outcome) {
    std::lock_guard lock(mutex);
    outcomes.push_back(outcome);
  });
  constexpr int kEvents = 24;
  auto& server = SynapseEnvironment::server();
  for (int i = 0; i < kEvents; ++i) {
    queue.push(room, "m.call.invite", invite_content("r" + std::to_string(i)));
    if (i == 8) server.stop();
    if (i == 16) {
      std::string error;
      ASSERT_TRUE(server.start(&error)) << error;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  ASSERT_TRUE(queue.wait_idle(std::chrono::seconds{60}));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{30};
  while (std::chrono::steady_clock::now() < deadline) {
    std::lock_guard lock(mutex);
    if (seen.size() >= kEvents) break;
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  syncer.stop();
  EXPECT_FALSE(sync_error.has_value()) << sync_error->message;

  std::vector<std::string> expected;
  for (int i = 0; i < kEvents; ++i) expected.push_back("r" + std::to_string(i));
  for (const auto& outcome : outcomes) {
    EXPECT_TRUE(outcome.event_id.ok()) << outcome.event_id.error().message;
  }
  EXPECT_GE(alice.client->stats().transport_errors, 1u);
  std::vector<std::string> stored;
  for (const auto& event : room_events(*alice.client, room, "m.call.invite"))
    stored.push_back(event["content"]["call_id"]);
  EXPECT_EQ(stored, expected);
  std::lock_guard lock(mutex);
  EXPECT_EQ(seen, expected);
}

}  // namespace
}  // namespace mxcall::testing
