// Calls in end-to-end encrypted rooms through a real Synapse: each party is an mxcall::Phone (the runtime) whose
// device keys live in a matrix-sdk-crypto store beside its session file (crypto/), with the fake media engine
// (runtime_phone.hpp), so the signalling is real and encrypted on the wire. Where a test needs a device's crypto by
// hand (holding back a room key, reading what the server stored), it opens that device's hook directly.
#include <filesystem>
#include <functional>

#include "mxcall/crypto/olm_hook.hpp"
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

// A phone on `user`'s device with a session file (and so a crypto store beside it) of its own.
PhoneConfig encrypted_config(const TestUser& user, matrix::RetryPolicy retry = test_config().retry) {
  static std::atomic<int> counter{0};
  auto config = phone_config(user, retry);
  config.session_path = (state_dir() / (user.localpart + "-" + std::to_string(++counter) + ".json")).string();
  return config;
}

// The same device after a restart: only its session file (and store) are left.
PhoneConfig resumed_config(const PhoneConfig& before) {
  PhoneConfig config = before;
  config.access_token.clear();
  config.media_engine = std::make_shared<media::FakeMediaEngine>(media::FakeMediaOptions{true, true, true});
  return config;
}

// A logged-in device driven by hand (no Phone): its client and its hook, its store beside its session file.
struct Device {
  std::unique_ptr<matrix::Client> client;
  std::shared_ptr<crypto::OlmCryptoHook> hook;
};

Device hand_device(const TestUser& user, matrix::ClientConfig config = test_config()) {
  static std::atomic<int> counter{0};
  Device device;
  config.session_path = (state_dir() / (user.localpart + "-hand" + std::to_string(++counter) + ".json")).string();
  device.client = std::make_unique<matrix::Client>(config);
  auto session = device.client->login_password(user.localpart, user.password);
  EXPECT_TRUE(session.ok()) << (session ? "" : session.error().message);
  crypto::CryptoError error;
  device.hook = crypto::OlmCryptoHook::open_for(*device.client, /*create=*/true, &error);
  EXPECT_TRUE(device.hook) << error.code << ": " << error.message;
  if (device.hook) device.client->set_crypto_hook(device.hook);
  return device;
}

// The hook of a device whose phone is gone, opened from its store (for reading what the server stored).
std::shared_ptr<crypto::OlmCryptoHook> reopen_store(const std::string& user_id, const std::string& device_id,
                                                    const PhoneConfig& config) {
  crypto::CryptoError error;
  auto hook = crypto::OlmCryptoHook::open(
      crypto::StoreOptions{user_id, device_id, crypto::store_path_for(config.session_path), {}, false}, &error);
  EXPECT_TRUE(hook) << error.code << ": " << error.message;
  return hook;
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

// The call events of the room decrypted with `hook`, counted by type.
std::map<std::string, int> decrypted_call_types(matrix::Client& reader, crypto::OlmCryptoHook& hook,
                                                const std::string& room) {
  std::map<std::string, int> calls;
  for (const auto& event : room_events(reader, room, "m.room.encrypted")) {
    auto plain = hook.decrypt(room, event.dump());
    EXPECT_TRUE(plain.event_json) << plain.reason;
    if (plain.event_json) ++calls[json::parse(*plain.event_json)["type"].get<std::string>()];
  }
  return calls;
}

// What a party saw, for a failure message: its notices, refusals and the signalling it sent or failed to send.
std::string seen_by(const Party& party) {
  std::string out;
  for (const auto& notice : party.seen.notices) out += "\n  notice: " + notice;
  for (const auto& why : party.seen.refused) out += "\n  refused: " + why;
  for (const auto& trace : party.seen.traces) {
    out += "\n  " +
           std::string(trace.direction == SignallingTrace::Direction::sent       ? "sent "
                       : trace.direction == SignallingTrace::Direction::received ? "received "
                                                                                 : "ignored ") +
           trace.type + " " + trace.detail;
  }
  return out;
}

// Places a call from `caller` into `room`, answers it at `callee` once it rings, hangs up once both are connected.
// Returns the call id, or empty after a failure (reported).
std::string whole_call(Runtime& runtime, Party& caller, Party& callee, const std::string& room) {
  auto call = caller->call(room);
  if (!call) {
    ADD_FAILURE() << call.error().message;
    return {};
  }
  const std::string id = call->call_id;
  if (!runtime.run_until([&] { return callee.seen.state(id) == CallState::ringing; }, 30s)) {
    ADD_FAILURE() << id << " did not ring; caller:" << seen_by(caller) << "\ncallee:" << seen_by(callee);
    return {};
  }
  callee->answer(*call);
  if (!both_connected(runtime, caller, callee, id, 30s)) {
    ADD_FAILURE() << id << " did not connect; caller:" << seen_by(caller) << "\ncallee:" << seen_by(callee);
    return {};
  }
  caller->hangup(*call);
  if (!runtime.run_until([&] { return callee.seen.state(id) == CallState::ended; }, 30s)) {
    ADD_FAILURE() << id << " did not end";
    return {};
  }
  return id;
}

TEST(Encrypted, WholeCallBothWaysEncryptedOnTheWire) {
  auto alice = new_user("alice");
  auto bob = new_user("bob");
  auto room = shared_room(alice, bob, /*encrypted=*/true);
  Runtime runtime;
  Party a(runtime, encrypted_config(alice)), b(runtime, encrypted_config(bob));
  ASSERT_TRUE(a->device_identity() && b->device_identity()) << "encryption is off";
  EXPECT_EQ(a->device_identity()->ed25519.size(), 43u);  // unpadded base64 of 32 bytes
  auto first = whole_call(runtime, a, b, room);
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(b.seen.end_reason(first), "user_hangup");
  ASSERT_FALSE(whole_call(runtime, b, a, room).empty());
  a.phone.reset();  // every send handed over before the room is read back
  b.phone.reset();
  auto types = stored_types(*alice.client, room);
  EXPECT_EQ(plain_call_events(types), 0) << "a call event went out in plain text";
  // Two calls: invite, answer, select_answer, hangup and candidates each; all of them encrypted.
  EXPECT_GE(types["m.room.encrypted"], 8);
}

TEST(Encrypted, RestartBetweenCallsKeepsTheKeys) {
  auto alice = new_user("alice");
  auto bob = new_user("bob");
  auto room = shared_room(alice, bob, /*encrypted=*/true);
  Runtime runtime;
  Party a(runtime, encrypted_config(alice));
  auto bob_config = encrypted_config(bob);
  std::string first, curve_before;
  {
    Party b(runtime, bob_config);
    ASSERT_TRUE(b.phone && b->device_identity());
    curve_before = b->device_identity()->curve25519;
    first = whole_call(runtime, a, b, room);
    ASSERT_FALSE(first.empty());
  }  // bob's process is gone; its session file and crypto store stay

  Party b2(runtime, resumed_config(bob_config));
  ASSERT_TRUE(b2.phone && b2->device_identity());
  EXPECT_EQ(b2->device_identity()->curve25519, curve_before) << "the restart made a new device identity";
  // Bob calls this time: his resumed incremental sync does not repeat the room's state, and his invite must still go
  // out encrypted; alice's answer is encrypted with whatever room key she has, which bob's store must decrypt.
  ASSERT_FALSE(whole_call(runtime, b2, a, room).empty());
  // And alice calls again: a fresh room key to bob's (same) device, over the Olm session from before the restart.
  ASSERT_FALSE(whole_call(runtime, a, b2, room).empty());
  std::string bob_device = b2->device_id();
  b2.phone.reset();
  a.phone.reset();
  EXPECT_EQ(plain_call_events(stored_types(*alice.client, room)), 0);
  // The first call's invite still decrypts with the keys from bob's store.
  auto store = reopen_store(bob.user_id, bob_device, bob_config);
  ASSERT_TRUE(store);
  bool first_invite_read = false;
  for (const auto& event : room_events(*bob.client, room, "m.room.encrypted")) {
    auto plain = store->decrypt(room, event.dump());
    if (plain.event_json && json::parse(*plain.event_json)["type"] == "m.call.invite") {
      EXPECT_EQ(json::parse(*plain.event_json)["content"]["call_id"], first);
      first_invite_read = true;
      break;
    }
  }
  EXPECT_TRUE(first_invite_read);
}

TEST(Encrypted, MissingStoreOnResumeIsRefusedClearly) {
  auto bob = new_user("bob");
  Runtime runtime;
  auto config = encrypted_config(bob);
  {
    Party b(runtime, config);
    ASSERT_TRUE(b.phone);
    // The device's keys reach the server with the first sync's requests.
    ASSERT_TRUE(runtime.run_until(
        [&] {
          auto keys = bob.client->api("POST", "/_matrix/client/v3/keys/query",
                                      json{{"device_keys", {{bob.user_id, json::array()}}}}.dump());
          return keys.ok() && json::parse(keys->body)["device_keys"][bob.user_id].contains(b->device_id());
        },
        20s));
  }
  std::filesystem::remove_all(crypto::store_path_for(config.session_path));
  auto resumed = Phone::connect(runtime, resumed_config(config));
  ASSERT_FALSE(resumed.ok());
  EXPECT_EQ(resumed.error().code, ErrorCode::crypto_store);
  EXPECT_NE(resumed.error().message.find("log in again"), std::string::npos) << resumed.error().message;
}

TEST(Encrypted, WrongPassphraseIsRefusedAndTheRightOneOpens) {
  auto bob = new_user("bob");
  Runtime runtime;
  auto config = encrypted_config(bob);
  config.encryption.passphrase = "correct horse";
  { Party b(runtime, config); }
  auto wrong = resumed_config(config);
  wrong.encryption.passphrase = "battery staple";
  auto refused = Phone::connect(runtime, wrong);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::crypto_store);
  EXPECT_NE(refused.error().message.find("passphrase"), std::string::npos) << refused.error().message;
  auto right = Phone::connect(runtime, resumed_config(config));
  ASSERT_TRUE(right.ok()) << right.error().message;
  EXPECT_TRUE((*right)->device_identity());
}

TEST(Encrypted, LateJoiningCalleeDeviceRingsAndAnswers) {
  auto alice = new_user("alice");
  auto bob = new_user("bob");
  auto room = shared_room(alice, bob, /*encrypted=*/true);
  Runtime runtime;
  Party a(runtime, encrypted_config(alice)), b1(runtime, encrypted_config(bob));
  ASSERT_FALSE(whole_call(runtime, a, b1, room).empty());  // alice's room key is shared with b1 only

  // Bob logs in on a laptop later: a new device alice has not seen. It uploads its keys with its first sync; alice
  // hears of it through device_lists in hers (a device that appears after an invite misses that call).
  TestUser bob_laptop{bob.localpart, bob.user_id, bob.password, make_client()};
  ASSERT_TRUE(bob_laptop.client->login_password(bob.localpart, bob.password).ok());
  Party b2(runtime, encrypted_config(bob_laptop));
  ASSERT_TRUE(b2.phone);
  runtime.run_until([] { return false; }, 3s);
  auto call = a->call(room);
  ASSERT_TRUE(call.ok()) << call.error().message;
  answer_on_one_of_two_devices(runtime, a, b2, b1, *call);
  if (HasFatalFailure()) return;
}

// Calling a user with no direct chat yet makes one, as Element does: encrypted when the peer has a device with keys,
// plain when it has none (its clients could not read an encrypted invite).
bool state_has_encryption(matrix::Client& client, const std::string& room) {
  return client.api("GET", "/_matrix/client/v3/rooms/" + matrix::Client::escape(room) + "/state/m.room.encryption/")
      .ok();
}

TEST(Encrypted, CallingAUserWithKeysMakesAnEncryptedDirectChat) {
  auto alice = new_user("alice");
  auto bob = new_user("bob");
  Runtime runtime;
  auto bob_config = encrypted_config(bob);
  bob_config.join_invites = true;
  Party a(runtime, encrypted_config(alice)), b(runtime, bob_config);  // bob's phone has uploaded his device keys
  ASSERT_TRUE(a.phone && b.phone);
  auto call = a->call(bob.user_id);
  ASSERT_TRUE(call.ok()) << call.error().message;
  EXPECT_TRUE(state_has_encryption(*alice.client, call->room_id)) << "the new direct chat is not encrypted";
  ASSERT_TRUE(runtime.run_until([&] { return b.seen.state(call->call_id) == CallState::ringing; }, 30s));
  b->answer(*call);
  ASSERT_TRUE(both_connected(runtime, a, b, call->call_id, 30s));
  a->hangup(*call);
  ASSERT_TRUE(runtime.run_until([&] { return b.seen.state(call->call_id) == CallState::ended; }, 30s));
  a.phone.reset();
  b.phone.reset();
  EXPECT_EQ(plain_call_events(stored_types(*alice.client, call->room_id)), 0) << "a call event went out in plain text";
}

TEST(Encrypted, CallingAUserWithoutKeysMakesAPlainDirectChat) {
  auto alice = new_user("alice");
  auto carol = new_user("carol");  // logged in, but no client of hers ever uploaded device keys
  Runtime runtime;
  auto carol_config = phone_config(carol);  // an access token alone: no store, so no encryption
  carol_config.join_invites = true;
  Party a(runtime, encrypted_config(alice)), c(runtime, carol_config);
  ASSERT_TRUE(a.phone && c.phone);
  auto call = a->call(carol.user_id);
  ASSERT_TRUE(call.ok()) << call.error().message;
  EXPECT_FALSE(state_has_encryption(*alice.client, call->room_id)) << "carol could not have read an encrypted invite";
  ASSERT_TRUE(runtime.run_until([&] { return c.seen.state(call->call_id) == CallState::ringing; }, 30s));
  a->hangup(*call);
}

// A room key that reaches the callee after the invite it encrypts: the invite waits, is decrypted when the key
// arrives, and rings then. Alice is driven by hand to hold her room key back.
TEST(Encrypted, InviteWaitingForItsRoomKeyRingsWhenTheKeyArrives) {
  auto alice = new_user("alice");
  auto bob = new_user("bob");
  auto room = shared_room(alice, bob, /*encrypted=*/true);
  Device a_dev = hand_device(alice);
  ASSERT_TRUE(a_dev.hook);
  Runtime runtime;
  Party b(runtime, encrypted_config(bob));
  ASSERT_TRUE(a_dev.client->sync().ok());  // alice's keys uploaded, the room known to be encrypted
  runtime.run_until([] { return false; }, 1s);

  auto members = a_dev.client->key_recipients(room);
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

  runtime.run_until([] { return false; }, 2s);
  EXPECT_FALSE(b.seen.state("e2ee-late-key").has_value()) << "rang without the room key";

  for (const auto& request : held) {
    auto answer = a_dev.client->api(request.method.c_str(), request.path, request.body);
    ASSERT_TRUE(answer.ok()) << answer.error().message;
  }
  ASSERT_TRUE(runtime.run_until([&] { return b.seen.state("e2ee-late-key") == CallState::ringing; }, 30s));
}

// An event that never decrypts (a made-up session) is reported once, after the wait, naming the event; calls in the
// same room before and after it ring and connect as usual.
TEST(Encrypted, UndecryptableEventReportedOnceAndOtherCallsGoOn) {
  auto alice = new_user("alice");
  auto bob = new_user("bob");
  auto room = shared_room(alice, bob, /*encrypted=*/true);
  Runtime runtime;
  auto impatient = encrypted_config(bob);
  impatient.encryption.undecryptable_wait = 2s;
  Party a(runtime, encrypted_config(alice)), b(runtime, impatient);
  ASSERT_FALSE(whole_call(runtime, a, b, room).empty());
  // A well-formed Megolm event of a session nobody shared: alice's last event with another session id.
  auto stored = room_events(*alice.client, room, "m.room.encrypted");
  ASSERT_FALSE(stored.empty());
  json bogus = stored.back()["content"];
  std::string session = bogus["session_id"];
  session[0] = session[0] == 'A' ? 'B' : 'A';
  bogus["session_id"] = session;
  auto sent = alice.client->api(
      "PUT", "/_matrix/client/v3/rooms/" + matrix::Client::escape(room) + "/send/m.room.encrypted/bogus-1",
      bogus.dump());
  ASSERT_TRUE(sent.ok()) << sent.error().message;
  std::string bogus_id = json::parse(sent->body)["event_id"];
  ASSERT_FALSE(whole_call(runtime, a, b, room).empty());  // b holds the bogus event meanwhile

  auto reports = [&] {
    return std::count_if(b.seen.notices.begin(), b.seen.notices.end(),
                         [&](const std::string& notice) { return notice.find(bogus_id) != std::string::npos; });
  };
  ASSERT_TRUE(runtime.run_until([&] { return reports() >= 1; }, 20s));
  runtime.run_until([] { return false; }, 3s);  // later syncs report it no more
  EXPECT_EQ(reports(), 1);
  for (const auto& notice : b.seen.notices) {
    if (notice.find(bogus_id) == std::string::npos) {
      EXPECT_EQ(notice.find("could not be decrypted"), std::string::npos) << "unexpected: " << notice;
      continue;
    }
    EXPECT_NE(notice.find(alice.user_id), std::string::npos) << notice;
    EXPECT_NE(notice.find("within 2 s"), std::string::npos) << notice;
    // What to do: a sender that excludes insecure devices (MSC4153) withholds keys from a device not cross-signed.
    EXPECT_NE(notice.find("needs this device cross-signed"), std::string::npos) << notice;
  }
}

// Last in this program: it stops the shared Synapse. The callee answers while Synapse is down; the answer (encrypted
// once the room key is shared) waits in the send queue and goes out once Synapse is back; every event is stored once.
TEST(Encrypted, SynapseRestartedMidCallEveryEventOnce) {
  auto patient = test_config().retry;
  patient.max_attempts = 30;
  patient.max_total = 60s;
  patient.max_backoff = 1s;
  auto alice = new_user("alice");
  auto bob = new_user("bob");
  auto room = shared_room(alice, bob, /*encrypted=*/true);
  Runtime runtime;
  auto alice_config = encrypted_config(alice, patient);
  Party a(runtime, alice_config), b(runtime, encrypted_config(bob, patient));
  auto call = a->call(room);
  ASSERT_TRUE(call.ok()) << call.error().message;
  ASSERT_TRUE(runtime.run_until([&] { return b.seen.state(call->call_id) == CallState::ringing; }, 30s));
  answer_across_a_synapse_restart(runtime, a, b, *call, 1s);
  std::string alice_device = a->device_id();
  a.phone.reset();  // every send handed over, and alice's store free to open
  b.phone.reset();
  auto hook = reopen_store(alice.user_id, alice_device, alice_config);
  ASSERT_TRUE(hook);
  auto calls = decrypted_call_types(*alice.client, *hook, room);
  EXPECT_EQ(calls["m.call.invite"], 1);
  EXPECT_EQ(calls["m.call.answer"], 1);
  EXPECT_EQ(calls["m.call.select_answer"], 1);
  EXPECT_EQ(calls["m.call.hangup"], 1);
  EXPECT_EQ(plain_call_events(stored_types(*alice.client, room)), 0);
}

}  // namespace
}  // namespace mxcall::testing
