// Calls in end-to-end encrypted rooms through a real Synapse: each device is a homeserver client with the
// matrix-sdk-crypto hook (crypto/) in front of the call engine and the fake media engine (phone.hpp), so the
// signalling is real and encrypted on the wire. Written against Phone's step/act/state only, so the tests move onto
// the runtime's binder unchanged in substance.
#include <filesystem>
#include <functional>

#include "helpers.hpp"
#include "mxcall/crypto/olm_hook.hpp"
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

// Session files and crypto stores of this program, removed at the end.
const std::filesystem::path& state_dir() {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("mxcall-e2ee-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}
struct RemoveStateDir : ::testing::Environment {
  void TearDown() override { std::filesystem::remove_all(state_dir()); }
};
const auto* const kCleanup = ::testing::AddGlobalTestEnvironment(new RemoveStateDir);

// A logged-in device with its own session file and crypto store (created: a fresh login).
struct Device {
  matrix::ClientConfig config;
  std::unique_ptr<matrix::Client> client;
  std::shared_ptr<crypto::OlmCryptoHook> hook;
};

void attach_hook(Device& device, bool create) {
  crypto::CryptoError error;
  device.hook = crypto::OlmCryptoHook::open_for(*device.client, create, &error);
  ASSERT_TRUE(device.hook) << error.code << ": " << error.message;
  device.client->set_crypto_hook(device.hook);
}

matrix::ClientConfig device_config(const std::string& name, matrix::ClientConfig config = test_config()) {
  static std::atomic<int> counter{0};
  config.session_path = (state_dir() / (name + std::to_string(++counter) + ".json")).string();
  return config;
}

Device encrypted_user(const std::string& prefix, TestUser& user, matrix::ClientConfig config = test_config()) {
  Device device;
  device.config = device_config(prefix, config);
  user = new_user(prefix, device.config);
  device.client = std::move(user.client);
  attach_hook(device, true);
  return device;
}

Device second_device(const TestUser& user, matrix::ClientConfig config = test_config()) {
  Device device;
  device.config = device_config(user.localpart + "-second", config);
  device.client = std::make_unique<matrix::Client>(device.config);
  auto session = device.client->login_password(user.localpart, user.password);
  EXPECT_TRUE(session.ok()) << (session ? "" : session.error().message);
  attach_hook(device, true);
  return device;
}

std::string encrypted_room(TestUser& a, Device& da, TestUser& b, Device& db) {
  a.client = std::move(da.client);
  b.client = std::move(db.client);
  auto room = shared_room(a, b, /*encrypted=*/true);
  da.client = std::move(a.client);
  db.client = std::move(b.client);
  return room;
}

bool run_until(std::vector<Phone*> phones, const std::function<bool()>& done, int seconds = 30) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{seconds};
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    for (Phone* phone : phones) {
      if (!phone->step(100)) return false;
    }
  }
  return done();
}

// The room's events as stored by the server (what anyone on the wire sees).
std::map<std::string, int> stored_types(matrix::Client& client, const std::string& room) {
  std::map<std::string, int> types;
  for (const auto& event : room_events(client, room)) ++types[event.value("type", "")];
  return types;
}

int plain_call_events(const std::map<std::string, int>& types) {
  int n = 0;
  for (const auto& [type, count] : types) {
    if (type.rfind("m.call.", 0) == 0 || type.rfind("org.matrix.call.", 0) == 0) n += count;
  }
  return n;
}

bool whole_call(Phone& caller, Phone& callee, const std::string& room, const std::string& call_id,
                const std::string& callee_user) {
  caller.act(action::Call{room, call_id, callee_user, false});
  if (!run_until({&caller, &callee}, [&] { return callee.state(call_id) == CallState::ringing; })) {
    ADD_FAILURE() << call_id << " did not ring";
    return false;
  }
  callee.act(action::Answer{{room, call_id}, false});
  if (!run_until({&caller, &callee}, [&] {
        return caller.state(call_id) == CallState::connected && callee.state(call_id) == CallState::connected;
      })) {
    ADD_FAILURE() << call_id << " did not connect";
    return false;
  }
  caller.act(action::Hangup{{room, call_id}});
  if (!run_until({&caller, &callee}, [&] { return callee.state(call_id) == CallState::ended; })) {
    ADD_FAILURE() << call_id << " did not end";
    return false;
  }
  return caller.wait_sent() && callee.wait_sent();
}

TEST(Encrypted, WholeCallBothWaysEncryptedOnTheWire) {
  TestUser alice, bob;
  Device a_dev = encrypted_user("alice", alice), b_dev = encrypted_user("bob", bob);
  auto room = encrypted_room(alice, a_dev, bob, b_dev);
  Phone a(*a_dev.client), b(*b_dev.client);
  a.step(0);
  b.step(0);
  ASSERT_TRUE(a_dev.client->room_encrypted(room));
  ASSERT_TRUE(whole_call(a, b, room, "e2ee-a-to-b", bob.user_id));
  EXPECT_EQ(b.end_reason("e2ee-a-to-b"), "user_hangup");
  ASSERT_TRUE(whole_call(b, a, room, "e2ee-b-to-a", alice.user_id));
  auto types = stored_types(*a_dev.client, room);
  EXPECT_EQ(plain_call_events(types), 0) << "a call event went out in plain text";
  // Two calls: invite, answer, select_answer, hangup and candidates each; all of them encrypted.
  EXPECT_GE(types["m.room.encrypted"], 8);
}

TEST(Encrypted, RestartBetweenCallsKeepsTheKeys) {
  TestUser alice, bob;
  Device a_dev = encrypted_user("alice", alice), b_dev = encrypted_user("bob", bob);
  auto room = encrypted_room(alice, a_dev, bob, b_dev);
  Phone a(*a_dev.client);
  a.step(0);
  {
    Phone b(*b_dev.client);
    b.step(0);
    ASSERT_TRUE(whole_call(a, b, room, "e2ee-before", bob.user_id));
  }
  b_dev.client->set_crypto_hook(nullptr);
  b_dev.hook.reset();
  b_dev.client.reset();  // bob's process is gone; its session file and crypto store stay

  Device restarted;
  restarted.config = b_dev.config;
  restarted.client = std::make_unique<matrix::Client>(restarted.config);
  auto resumed = restarted.client->resume();
  ASSERT_TRUE(resumed.ok()) << resumed.error().message;
  attach_hook(restarted, /*create=*/false);
  ASSERT_TRUE(restarted.hook);
  // The first call's invite still decrypts with the keys from the store.
  bool first_invite_read = false;
  for (const auto& event : room_events(*restarted.client, room, "m.room.encrypted")) {
    auto plain = restarted.hook->decrypt(room, event.dump());
    if (plain.event_json && json::parse(*plain.event_json)["type"] == "m.call.invite") {
      EXPECT_EQ(json::parse(*plain.event_json)["content"]["call_id"], "e2ee-before");
      first_invite_read = true;
      break;
    }
  }
  EXPECT_TRUE(first_invite_read);
  Phone b2(*restarted.client);
  b2.step(0);
  // Bob calls this time: his resumed incremental sync does not repeat the room's state, and his invite must still
  // go out encrypted.
  ASSERT_TRUE(whole_call(b2, a, room, "e2ee-after", alice.user_id));
  EXPECT_EQ(plain_call_events(stored_types(*a_dev.client, room)), 0);
}

TEST(Encrypted, MissingStoreOnResumeIsRefusedClearly) {
  TestUser bob;
  Device b_dev = encrypted_user("bob", bob);
  ASSERT_TRUE(b_dev.client->sync().ok());  // keys uploaded
  std::filesystem::remove_all(crypto::store_path_for(b_dev.config.session_path));
  matrix::Client restarted(b_dev.config);
  ASSERT_TRUE(restarted.resume().ok());
  crypto::CryptoError error;
  EXPECT_FALSE(crypto::OlmCryptoHook::open_for(restarted, /*create=*/false, &error));
  EXPECT_EQ(error.code, "store_missing");
  EXPECT_NE(error.message.find("log in again"), std::string::npos) << error.message;
}

TEST(Encrypted, LateJoiningCalleeDeviceRingsAndAnswers) {
  TestUser alice, bob;
  Device a_dev = encrypted_user("alice", alice), b_dev = encrypted_user("bob", bob);
  auto room = encrypted_room(alice, a_dev, bob, b_dev);
  Phone a(*a_dev.client), b1(*b_dev.client);
  a.step(0);
  b1.step(0);
  ASSERT_TRUE(whole_call(a, b1, room, "e2ee-one-device", bob.user_id));  // alice's key is shared with b1 only

  Device b_laptop = second_device(bob);  // logs in later: a new device alice has not seen
  Phone b2(*b_laptop.client);
  b2.step(0);  // uploads its keys; alice hears of the new device through device_lists in her next syncs
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(a.step(300));  // (a device that appears after an invite misses that call)
  a.act(action::Call{room, "e2ee-late-device", bob.user_id, false});
  ASSERT_TRUE(run_until({&a, &b1, &b2}, [&] {
    return b1.state("e2ee-late-device") == CallState::ringing && b2.state("e2ee-late-device") == CallState::ringing;
  }));
  b2.act(action::Answer{{room, "e2ee-late-device"}, false});
  ASSERT_TRUE(run_until({&a, &b1, &b2}, [&] {
    return a.state("e2ee-late-device") == CallState::connected && b1.state("e2ee-late-device") == CallState::ended;
  }));
  EXPECT_EQ(b1.end_reason("e2ee-late-device"), kEndedAnsweredElsewhere);
}

// A room key that reaches the callee after the invite it encrypts: the invite waits, is decrypted when the key
// arrives, and rings then (the shape element-web#11783 got wrong).
TEST(Encrypted, InviteWaitingForItsRoomKeyRingsWhenTheKeyArrives) {
  TestUser alice, bob;
  Device a_dev = encrypted_user("alice", alice), b_dev = encrypted_user("bob", bob);
  auto room = encrypted_room(alice, a_dev, bob, b_dev);
  Phone b(*b_dev.client);
  ASSERT_TRUE(a_dev.client->sync().ok());  // alice's keys uploaded, the room known to be encrypted
  b.step(0);

  auto members = a_dev.client->joined_members(room);
  ASSERT_TRUE(members.ok());
  json invite = {{"call_id", "e2ee-late-key"},
                 {"party_id", "ALICEPARTY"},
                 {"version", "1"},
                 {"lifetime", 60000},
                 {"offer", {{"type", "offer"}, {"sdp", "v=0\r\n"}}}};
  std::vector<matrix::CryptoRequest> held;  // the room key to-device messages, sent only later
  std::optional<std::string> sealed;
  for (int step = 0; step < 8 && !sealed; ++step) {
    auto next = a_dev.hook->encrypt(room, "m.call.invite", invite.dump(), *members, step == 0);
    ASSERT_TRUE(next.error.empty()) << next.error;
    sealed = next.content_json;
    for (const auto& request : next.requests) {
      if (request.kind == "to_device") {
        held.push_back(request);
        ASSERT_FALSE(a_dev.hook->mark_request_sent(request, "{}"));
        continue;
      }
      auto answer = a_dev.client->api(request.method.c_str(), request.path, request.body);
      ASSERT_TRUE(answer.ok()) << answer.error().message;
      ASSERT_FALSE(a_dev.hook->mark_request_sent(request, answer->body));
    }
  }
  ASSERT_TRUE(sealed);
  ASSERT_FALSE(held.empty());
  auto sent = a_dev.client->api(
      "PUT", "/_matrix/client/v3/rooms/" + matrix::Client::escape(room) + "/send/m.room.encrypted/late-key-1", *sealed);
  ASSERT_TRUE(sent.ok()) << sent.error().message;

  for (int i = 0; i < 5; ++i) ASSERT_TRUE(b.step(200));
  EXPECT_FALSE(b.state("e2ee-late-key").has_value()) << "rang without the room key";

  for (const auto& request : held) {
    auto answer = a_dev.client->api(request.method.c_str(), request.path, request.body);
    ASSERT_TRUE(answer.ok()) << answer.error().message;
  }
  ASSERT_TRUE(run_until({&b}, [&] { return b.state("e2ee-late-key") == CallState::ringing; }));
}

// An event that never decrypts (a made-up session) is reported once, after the wait, naming the event; a call in
// the same room meanwhile rings and connects as usual.
TEST(Encrypted, UndecryptableEventReportedOnceAndOtherCallsGoOn) {
  TestUser alice, bob;
  Device a_dev = encrypted_user("alice", alice), b_dev = encrypted_user("bob", bob);
  auto room = encrypted_room(alice, a_dev, bob, b_dev);
  auto impatient = test_config();
  impatient.undecryptable_wait = std::chrono::milliseconds{2000};
  Device watcher = second_device(bob, impatient);  // syncs by hand, to read the notices
  ASSERT_TRUE(watcher.client->commit(*watcher.client->sync()).ok());
  Phone a(*a_dev.client), b(*b_dev.client);
  a.step(0);
  b.step(0);

  ASSERT_TRUE(whole_call(a, b, room, "e2ee-before-bogus", bob.user_id));
  // A well-formed Megolm event of a session nobody shared: alice's last event with another session id.
  auto stored = room_events(*a_dev.client, room, "m.room.encrypted");
  ASSERT_FALSE(stored.empty());
  json bogus = stored.back()["content"];
  std::string session = bogus["session_id"];
  session[0] = session[0] == 'A' ? 'B' : 'A';
  bogus["session_id"] = session;
  auto sent = a_dev.client->api(
      "PUT", "/_matrix/client/v3/rooms/" + matrix::Client::escape(room) + "/send/m.room.encrypted/bogus-1",
      bogus.dump());
  ASSERT_TRUE(sent.ok()) << sent.error().message;
  std::string bogus_id = json::parse(sent->body)["event_id"];
  ASSERT_TRUE(whole_call(a, b, room, "e2ee-after-bogus", bob.user_id));  // b holds the bogus event meanwhile

  int reports = 0;
  bool other_undecryptable = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{6};
  while (std::chrono::steady_clock::now() < deadline) {
    auto batch = watcher.client->sync(matrix::SyncOptions{std::chrono::milliseconds{500}, false, nullptr});
    ASSERT_TRUE(batch.ok()) << batch.error().message;
    for (const auto& notice : batch->notices) {
      if (notice.kind != matrix::NoticeKind::undecryptable_event) continue;
      if (notice.message.find(bogus_id) != std::string::npos) {
        ++reports;
        EXPECT_EQ(notice.room_id, room);
        EXPECT_NE(notice.message.find(alice.user_id), std::string::npos) << notice.message;
        EXPECT_NE(notice.message.find("within 2 s"), std::string::npos) << notice.message;
      } else {
        other_undecryptable = true;
        ADD_FAILURE() << "unexpected: " << notice.message;
      }
    }
    ASSERT_TRUE(watcher.client->commit(*batch).ok());
  }
  EXPECT_EQ(reports, 1);
  EXPECT_FALSE(other_undecryptable);
}

// Last in this program: it stops the shared Synapse. The callee answers while Synapse is down; the answer (encrypted
// once the room key is shared) waits in the send queue and goes out once Synapse is back; every event is stored once.
TEST(Encrypted, SynapseRestartedMidCallEveryEventOnce) {
  auto patient = test_config();
  patient.retry.max_attempts = 30;
  patient.retry.max_total = std::chrono::milliseconds{60000};
  patient.retry.max_backoff = std::chrono::milliseconds{1000};
  TestUser alice, bob;
  Device a_dev = encrypted_user("alice", alice, patient), b_dev = encrypted_user("bob", bob, patient);
  auto room = encrypted_room(alice, a_dev, bob, b_dev);
  Phone a(*a_dev.client), b(*b_dev.client);
  a.step(0);
  b.step(0);
  a.act(action::Call{room, "e2ee-down", bob.user_id, false});
  ASSERT_TRUE(run_until({&a, &b}, [&] { return b.state("e2ee-down") == CallState::ringing; }));
  auto& server = SynapseEnvironment::server();
  server.stop();
  b.act(action::Answer{{room, "e2ee-down"}, false});  // queued: key sharing and the send wait for Synapse
  std::string error;
  ASSERT_TRUE(server.start(&error)) << error;
  ASSERT_TRUE(run_until({&a, &b}, [&] {
    return a.state("e2ee-down") == CallState::connected && b.state("e2ee-down") == CallState::connected;
  }));
  a.act(action::Hangup{{room, "e2ee-down"}});
  ASSERT_TRUE(run_until({&a, &b}, [&] { return b.state("e2ee-down") == CallState::ended; }));
  ASSERT_TRUE(a.wait_sent() && b.wait_sent());
  EXPECT_GE(b_dev.client->stats().transport_errors, 1u);
  // Every call event once: decrypt what the server stored and count by type.
  std::map<std::string, int> calls;
  for (const auto& event : room_events(*a_dev.client, room, "m.room.encrypted")) {
    auto plain = a_dev.hook->decrypt(room, event.dump());
    ASSERT_TRUE(plain.event_json) << plain.reason;
    ++calls[json::parse(*plain.event_json)["type"].get<std::string>()];
  }
  EXPECT_EQ(calls["m.call.invite"], 1);
  EXPECT_EQ(calls["m.call.answer"], 1);
  EXPECT_EQ(calls["m.call.select_answer"], 1);
  EXPECT_EQ(calls["m.call.hangup"], 1);
  EXPECT_EQ(plain_call_events(stored_types(*a_dev.client, room)), 0);
}

}  // namespace
}  // namespace mxcall::testing
