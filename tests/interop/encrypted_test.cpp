// mxcall against matrix-js-sdk 37.5.0 with its Rust crypto (`initRustCrypto`: matrix-sdk-crypto in WebAssembly, as
// Element Web runs it; tests/interop/rust_crypto.mjs) in end-to-end encrypted direct chats, both call directions:
// js-sdk creates the chat as Element does and calls mxcall, and mxcall creates it as `mxcall create-dm --encrypted`
// does and calls js-sdk (by room, and by user id while js-sdk is only invited); a js-sdk callee on two devices; mxcall
// restarted between calls; a js-sdk caller that shares keys only with cross-signed devices. Each test checks both
// sides' end state and reason, audio both ways by frequency, and that the call really travelled encrypted: every call
// event js-sdk received from mxcall came as m.room.encrypted, and the room as the homeserver stores it holds no plain
// m.call.* event.
#include <filesystem>
#include <map>

#include "interop_fixture.hpp"
#include "mxcall/verification.hpp"

namespace mxcall::interop {
namespace {

class Encrypted : public InteropTest {
 protected:
  // A js-sdk party with Rust crypto on, logged in and synced, its device keys on the homeserver. It joins the rooms
  // it is invited to at once unless `auto_join` is false.
  std::unique_ptr<JsPeer> start_encrypted_js(const std::string& name, int tone_hz, bool auto_join = true) {
    auto peer = std::make_unique<JsPeer>(name);
    EXPECT_TRUE(peer->login(homeserver(), js_user_.localpart, js_user_.password, tone_hz, {},
                            Json{{"crypto", true}, {"auto_join", auto_join}}));
    return peer;
  }

  // A session file for a new mxcall device; its crypto store goes beside it.
  static std::string new_session_file(const std::string& name) {
    static int counter = 0;
    return (testing::state_dir() / (name + "-" + std::to_string(++counter) + ".json")).string();
  }

  // An mxcall party whose device keys live in a crypto store beside its session file (encryption is on), joining the
  // rooms it is invited to when `join_invites`. A new device logged in to `session_file` (a new one when empty), or
  // with `resume` the device of that file (a restart: the file and the store are all that is left). Fails the test
  // when encryption did not come up.
  std::unique_ptr<MxParty> start_encrypted_mx(const std::string& name, double tone_hz, bool join_invites = false,
                                              std::string session_file = {}, bool resume = false,
                                              std::chrono::milliseconds undecryptable_wait = 60s) {
    if (session_file.empty()) session_file = new_session_file(name);
    auto mx = std::make_unique<MxParty>(runtime(), name, homeserver(), mx_user_.localpart, mx_user_.password, tone_hz,
                                        Timeouts{}, [&](PhoneConfig& config) {
                                          config.session_path = session_file;
                                          config.join_invites = join_invites;
                                          config.encryption.undecryptable_wait = undecryptable_wait;
                                          if (resume) {  // the session file alone
                                            config.user.clear();
                                            config.password.clear();
                                          }
                                        });
    EXPECT_TRUE(mx->ok() && mx->phone().device_identity()) << name << ": end-to-end encryption is off";
    return mx;
  }

  // Waits until js-sdk finds mxcall's device keys on the homeserver, and checks they are the ones mxcall holds.
  ::testing::AssertionResult js_sees_mx_device(JsPeer& js, MxParty& mx) {
    auto found = js.command(
        {{"cmd", "await_device_keys"}, {"user_id", mx_user_.user_id}, {"device_id", mx.phone().device_id()}});
    if (!found) return ::testing::AssertionFailure() << "mxcall's device keys never reached the homeserver";
    const auto identity = mx.phone().device_identity();
    if (!identity) return ::testing::AssertionFailure() << "mxcall's phone has no device identity";
    if ((*found)["keys"].value("curve25519", "") != identity->curve25519 ||
        (*found)["keys"].value("ed25519", "") != identity->ed25519) {
      return ::testing::AssertionFailure()
             << "the homeserver holds other keys for mxcall's device: " << (*found)["keys"];
    }
    return ::testing::AssertionSuccess();
  }

  // A direct chat made by mxcall's user as `mxcall create-dm --encrypted` makes one (matrix::Client::create_dm,
  // recorded in m.direct), js-sdk's user invited. Empty after a failure (reported).
  std::string mx_creates_encrypted_dm() {
    auto created = mx_user_.client->create_dm(js_user_.user_id, /*encrypted=*/true);
    if (!created) {
      ADD_FAILURE() << "create_dm: " << created.error().message;
      return {};
    }
    return *created;
  }

  // Waits until js-sdk saw `user_id` join `room`.
  static bool js_saw_join(JsPeer& js, const std::string& room, const std::string& user_id) {
    return js
        .wait_for(
            [&](const Json& e) {
              return e["ev"] == "member" && e["room_id"] == room && e["user_id"] == user_id &&
                     e["membership"] == "join";
            },
            15s)
        .has_value();
  }

  // The call events of `call_id` js-sdk received from mxcall, by type; fails the test for one that came unencrypted.
  std::map<std::string, int> js_received_from_mx(JsPeer& js, const std::string& call_id) {
    std::map<std::string, int> types;
    for (const auto& e : js.events()) {
      if (e["ev"] != "voip" || e.value("call_id", "") != call_id || e.value("sender", "") != mx_user_.user_id) continue;
      EXPECT_TRUE(e.value("encrypted", false)) << "mxcall's " << e["type"] << " reached js-sdk in plain text";
      ++types[e.value("type", "")];
    }
    return types;
  }

  // Neither side met an event it could not decrypt, and mxcall reported no encryption trouble (an undecryptable event,
  // a failed key request, an encrypted room it cannot read: every such notice names encryption).
  static void no_encryption_trouble(JsPeer& js, const MxParty& mx) {
    for (const auto& e : js.events()) EXPECT_NE(e["ev"], "undecryptable") << "js-sdk: " << e.dump();
    for (const auto& notice : mx.notices()) EXPECT_EQ(notice.find("crypt"), std::string::npos) << "mxcall: " << notice;
  }

  // The room as the homeserver stores it: every call event in it is m.room.encrypted, none is a plain m.call.* (or
  // org.matrix.call.*), and there are at least `at_least` encrypted events.
  ::testing::AssertionResult encrypted_on_the_wire(const std::string& room, int at_least) {
    std::map<std::string, int> types;
    for (const auto& event : testing::room_events(*mx_user_.client, room)) ++types[event.value("type", "")];
    std::string plain;
    for (const auto& [type, count] : types) {
      if (type.rfind("m.call.", 0) == 0 || type.rfind("org.matrix.call.", 0) == 0) plain += " " + type;
    }
    if (!plain.empty()) return ::testing::AssertionFailure() << "call events went out in plain text:" << plain;
    if (types["m.room.encrypted"] < at_least) {
      return ::testing::AssertionFailure()
             << "the room holds " << types["m.room.encrypted"] << " m.room.encrypted events, fewer than the "
             << at_least << " call events the parties exchanged";
    }
    return ::testing::AssertionSuccess();
  }
};

// js-sdk makes the encrypted direct chat as Element does (m.room.encryption in the initial state), mxcall joins it
// on the invite, js-sdk calls, mxcall answers; js-sdk hangs up.
TEST_F(Encrypted, JsCallsMxcallInAnEncryptedDirectChatJsCreated) {
  auto js = start_encrypted_js("js", kJsTone);
  auto mx = start_encrypted_mx("mx", kMxTone, /*join_invites=*/true);
  ASSERT_FALSE(::testing::Test::HasFailure());
  ASSERT_TRUE(js_sees_mx_device(*js, *mx));
  auto created = js->command({{"cmd", "create_room"}, {"invite", {mx_user_.user_id}}, {"encrypted", true}});
  ASSERT_TRUE(created);
  const std::string room = (*created)["room_id"];
  ASSERT_TRUE(js_saw_join(*js, room, mx_user_.user_id)) << "mxcall did not join js-sdk's direct chat";
  auto encrypted = js->command({{"cmd", "room_encrypted"}, {"room_id", room}});
  ASSERT_TRUE(encrypted && (*encrypted)["encrypted"].get<bool>());

  room_ = room;  // the fixture's calls from js-sdk go to this chat
  auto call = connected_call_from_js(*js, *mx);
  ASSERT_TRUE(call) << "(could each side decrypt the other's events?)";
  EXPECT_EQ(call->room_id, room);
  const std::string call_id = call->call_id;
  EXPECT_TRUE(audio_both_ways(*mx, *call, kJsTone, *js, kMxTone));

  ASSERT_TRUE(js->command({{"cmd", "hangup"}, {"call_id", call_id}}));
  auto ended = mx->wait_ended(*call);
  ASSERT_TRUE(ended) << "js-sdk's encrypted hangup did not end mxcall's call";
  EXPECT_EQ(ended->reason, "user_hangup");
  EXPECT_FALSE(ended->local);
  auto js_end = js->wait_event("hangup", call_id, 5s);
  ASSERT_TRUE(js_end);
  EXPECT_EQ((*js_end)["party"], "local");

  // js-sdk sent invite, select_answer and hangup; mxcall sent its answer and at least one candidates event (rule 32).
  auto from_mx = js_received_from_mx(*js, call_id);
  EXPECT_EQ(from_mx["m.call.answer"], 1);
  EXPECT_GE(from_mx["m.call.candidates"], 1);
  no_encryption_trouble(*js, *mx);
  mx.reset();  // every send handed over before the room is read back
  EXPECT_TRUE(encrypted_on_the_wire(room, 5));
}

// mxcall makes the encrypted direct chat as `mxcall create-dm --encrypted` does (matrix::Client::create_dm),
// js-sdk joins on the invite, mxcall calls, js-sdk answers; mxcall hangs up.
TEST_F(Encrypted, MxcallCallsJsInAnEncryptedDirectChatMxcallCreated) {
  auto js = start_encrypted_js("js", kJsTone);
  auto mx = start_encrypted_mx("mx", kMxTone);
  ASSERT_FALSE(::testing::Test::HasFailure());
  ASSERT_TRUE(js_sees_mx_device(*js, *mx));
  const std::string room = mx_creates_encrypted_dm();
  ASSERT_FALSE(room.empty());
  ASSERT_TRUE(js_saw_join(*js, room, js_user_.user_id)) << "js-sdk did not join mxcall's direct chat";
  auto encrypted = js->command({{"cmd", "room_encrypted"}, {"room_id", room}});
  ASSERT_TRUE(encrypted && (*encrypted)["encrypted"].get<bool>()) << "js-sdk does not see the room as encrypted";

  auto call = mx->call(room);
  ASSERT_TRUE(call);
  auto incoming = js_rings(*js, call->call_id);
  ASSERT_TRUE(incoming) << "js-sdk never rang for mxcall's encrypted invite";
  EXPECT_EQ((*incoming)["caller"], mx_user_.user_id);
  ASSERT_TRUE(js->command({{"cmd", "answer"}, {"call_id", call->call_id}}));
  ASSERT_TRUE(mx->wait_state(*call, CallState::connected)) << "mxcall never connected (did it decrypt the answer?)";
  EXPECT_TRUE(js->reached(call->call_id, "connected"));
  EXPECT_TRUE(audio_both_ways(*mx, *call, kJsTone, *js, kMxTone));

  mx->phone().hangup(*call);
  auto ended = mx->wait_ended(*call);
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->reason, "user_hangup");
  EXPECT_TRUE(ended->local);
  auto js_end = js->wait_event("hangup", call->call_id, 10s);
  ASSERT_TRUE(js_end) << "mxcall's encrypted hangup did not end js-sdk's call";
  EXPECT_EQ((*js_end)["party"], "remote");
  EXPECT_EQ((*js_end)["reason"], "user_hangup");

  // mxcall sent invite, candidates, select_answer and hangup; js-sdk its answer.
  auto from_mx = js_received_from_mx(*js, call->call_id);
  EXPECT_EQ(from_mx["m.call.invite"], 1);
  EXPECT_EQ(from_mx["m.call.select_answer"], 1);
  EXPECT_EQ(from_mx["m.call.hangup"], 1);
  no_encryption_trouble(*js, *mx);
  mx.reset();
  EXPECT_TRUE(encrypted_on_the_wire(room, 5));
}

// `mxcall create-dm --encrypted @js` then `mxcall call @js` (the direct chat found by user id in m.direct): the
// invite goes out while js-sdk is only invited, so mxcall shares the room key with the invited member's device (as
// Element does); js-sdk accepts the chat while the call is ringing, reads the invite from the room's history and
// rings, answers, and hangs up.
TEST_F(Encrypted, MxcallCallsJsByUserIdWhileJsHasOnlyBeenInvited) {
  auto js = start_encrypted_js("js", kJsTone, /*auto_join=*/false);
  auto mx = start_encrypted_mx("mx", kMxTone);
  ASSERT_FALSE(::testing::Test::HasFailure());
  const std::string room = mx_creates_encrypted_dm();
  ASSERT_FALSE(room.empty());
  ASSERT_TRUE(js->wait_for(
      [&](const Json& e) {
        return e["ev"] == "member" && e["room_id"] == room && e["user_id"] == js_user_.user_id &&
               e["membership"] == "invite";
      },
      15s));

  auto call = mx->call(js_user_.user_id);
  ASSERT_TRUE(call);
  EXPECT_EQ(call->room_id, room) << "mxcall did not find the direct chat in m.direct";
  ASSERT_TRUE(mx->wait_state(*call, CallState::invite_sent));
  EXPECT_FALSE(js->has_event("incoming", call->call_id));
  ASSERT_TRUE(js->command({{"cmd", "join"}, {"room_id", room}}));
  auto incoming = js_rings(*js, call->call_id);
  ASSERT_TRUE(incoming) << "js-sdk did not ring for the invite sent before it joined";
  ASSERT_TRUE(js->command({{"cmd", "answer"}, {"call_id", call->call_id}}));
  ASSERT_TRUE(mx->wait_state(*call, CallState::connected));
  EXPECT_TRUE(audio_both_ways(*mx, *call, kJsTone, *js, kMxTone));

  ASSERT_TRUE(js->command({{"cmd", "hangup"}, {"call_id", call->call_id}}));
  auto ended = mx->wait_ended(*call);
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->reason, "user_hangup");
  EXPECT_FALSE(ended->local);
  EXPECT_EQ(js_received_from_mx(*js, call->call_id)["m.call.invite"], 1);
  no_encryption_trouble(*js, *mx);
  mx.reset();
  EXPECT_TRUE(encrypted_on_the_wire(room, 5));
}

// js-sdk's user on two devices (Element Web and Desktop, say), both with their own keys: mxcall's invite is
// decrypted and rings on both, one answers, and the other stops ringing (answered_elsewhere) because it can read its
// sibling's encrypted answer (js-sdk shares its room key with its user's other devices).
TEST_F(Encrypted, JsCalleeOnTwoDevicesBothDecryptOneAnswersTheOtherStopsRinging) {
  auto first = start_encrypted_js("js-a", kJsTone);
  auto second = start_encrypted_js("js-b", kJsSecondTone);
  auto mx = start_encrypted_mx("mx", kMxTone);
  ASSERT_FALSE(::testing::Test::HasFailure());
  ASSERT_TRUE(js_sees_mx_device(*second, *mx));
  const std::string room = mx_creates_encrypted_dm();
  ASSERT_FALSE(room.empty());
  ASSERT_TRUE(js_saw_join(*first, room, js_user_.user_id) && js_saw_join(*second, room, js_user_.user_id));

  auto call = mx->call(room);
  ASSERT_TRUE(call);
  ASSERT_TRUE(js_rings(*first, call->call_id)) << "the first device could not read the invite";
  ASSERT_TRUE(js_rings(*second, call->call_id)) << "the second device could not read the invite";
  ASSERT_TRUE(second->command({{"cmd", "answer"}, {"call_id", call->call_id}}));
  ASSERT_TRUE(mx->wait_state(*call, CallState::connected));
  auto stopped = first->wait_event("hangup", call->call_id, 10s);
  ASSERT_TRUE(stopped) << "the device that did not answer kept ringing";
  EXPECT_EQ((*stopped)["reason"], "answered_elsewhere");
  EXPECT_TRUE(audio_both_ways(*mx, *call, kJsSecondTone, *second, kMxTone));

  mx->phone().hangup(*call);
  auto js_end = second->wait_event("hangup", call->call_id, 10s);
  ASSERT_TRUE(js_end);
  EXPECT_EQ((*js_end)["reason"], "user_hangup");
  for (JsPeer* device : {first.get(), second.get()}) {
    EXPECT_EQ(js_received_from_mx(*device, call->call_id)["m.call.invite"], 1) << device->name();
    no_encryption_trouble(*device, *mx);
  }
  mx.reset();
  EXPECT_TRUE(encrypted_on_the_wire(room, 5));
}

// mxcall's process ends between calls and starts again on the same device (each `mxcall` command is such a
// restart): its keys, Olm sessions and the room keys it received come back from its store, so js-sdk, which keeps
// its sessions with that device, reads mxcall's answer, and mxcall reads js-sdk's invite, with no new device.
TEST_F(Encrypted, MxcallRestartedBetweenCallsStillTalksToJs) {
  auto js = start_encrypted_js("js", kJsTone);
  const std::string session = new_session_file("mx");
  auto before = start_encrypted_mx("mx", kMxTone, /*join_invites=*/false, session);
  ASSERT_FALSE(::testing::Test::HasFailure());
  const std::string device = before->phone().device_id();
  const auto identity = *before->phone().device_identity();
  ASSERT_TRUE(js_sees_mx_device(*js, *before));
  const std::string room = mx_creates_encrypted_dm();
  ASSERT_FALSE(room.empty());
  ASSERT_TRUE(js_saw_join(*js, room, js_user_.user_id));
  auto first = before->call(room);
  ASSERT_TRUE(first);
  ASSERT_TRUE(js_rings(*js, first->call_id));
  ASSERT_TRUE(js->command({{"cmd", "answer"}, {"call_id", first->call_id}}));
  ASSERT_TRUE(before->wait_state(*first, CallState::connected));
  ASSERT_TRUE(js->reached(first->call_id, "connected"));
  before->phone().hangup(*first);
  ASSERT_TRUE(js->wait_event("hangup", first->call_id, 10s));
  no_encryption_trouble(*js, *before);
  before.reset();  // the process is gone; its session file and store stay

  auto after = start_encrypted_mx("mx-restarted", kMxSecondTone, /*join_invites=*/false, session, /*resume=*/true);
  ASSERT_FALSE(::testing::Test::HasFailure());
  EXPECT_EQ(after->phone().device_id(), device) << "the restart logged in a new device";
  EXPECT_EQ(after->phone().device_identity()->curve25519, identity.curve25519) << "the restart made new keys";
  room_ = room;  // the fixture's calls from js-sdk go to this chat
  auto call = connected_call_from_js(*js, *after);
  ASSERT_TRUE(call) << "(could the restarted mxcall and js-sdk decrypt each other's events?)";
  EXPECT_TRUE(audio_both_ways(*after, *call, kJsTone, *js, kMxSecondTone));
  ASSERT_TRUE(js->command({{"cmd", "hangup"}, {"call_id", call->call_id}}));
  auto ended = after->wait_ended(*call);
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->reason, "user_hangup");
  EXPECT_EQ(js_received_from_mx(*js, call->call_id)["m.call.answer"], 1);
  no_encryption_trouble(*js, *after);
  after.reset();
  EXPECT_TRUE(encrypted_on_the_wire(room, 10));
}

// Element's "exclude insecure devices" (MSC4153), as js-sdk runs it (OnlySignedDevicesIsolationMode): room keys go
// only to devices their owner cross-signed. An mxcall device that is not cross-signed cannot read such a caller's
// invite and says what it needs; once `mxcall verify --bootstrap` has signed it (DeviceVerification, the same store
// and session), the same caller's next call rings, connects and carries audio both ways.
TEST_F(Encrypted, CallerThatExcludesInsecureDevicesNeedsMxcallCrossSigned) {
  auto js = start_encrypted_js("js", kJsTone);
  ASSERT_TRUE(js->command({{"cmd", "exclude_insecure_devices"}}));
  const std::string session_file = new_session_file("mx");
  std::string room, device_id;
  {
    auto mx = start_encrypted_mx("mx-unsigned", kMxTone, /*join_invites=*/true, session_file, false, 2s);
    ASSERT_FALSE(::testing::Test::HasFailure());
    device_id = mx->phone().device_id();
    ASSERT_TRUE(js_sees_mx_device(*js, *mx));
    auto created = js->command({{"cmd", "create_room"}, {"invite", {mx_user_.user_id}}, {"encrypted", true}});
    ASSERT_TRUE(created);
    room = (*created)["room_id"];
    ASSERT_TRUE(js_saw_join(*js, room, mx_user_.user_id));
    room_ = room;
    const std::string call_id = js_call(*js);
    ASSERT_FALSE(call_id.empty());
    EXPECT_TRUE(mx->wait_notice("needs this device cross-signed", 20s))
        << "mxcall did not say why js-sdk's invite never decrypts";
    EXPECT_FALSE(mx->wait_incoming(1s)) << "mxcall rang for an invite whose room key js-sdk withheld";
    ASSERT_TRUE(js->command({{"cmd", "hangup"}, {"call_id", call_id}}));
  }

  PhoneConfig config;
  config.homeserver = homeserver();
  config.session_path = session_file;
  {
    auto verification = DeviceVerification::open(config);
    ASSERT_TRUE(verification) << verification.error().message;
    auto signed_now = (*verification)->bootstrap_cross_signing(mx_user_.password);
    ASSERT_TRUE(signed_now) << signed_now.error().message;
    EXPECT_TRUE(signed_now->device_signed);
  }
  auto mx = start_encrypted_mx("mx-signed", kMxTone, /*join_invites=*/true, session_file, /*resume=*/true);
  ASSERT_FALSE(::testing::Test::HasFailure());
  ASSERT_TRUE(
      js->command({{"cmd", "await_device_signed_by_owner"}, {"user_id", mx_user_.user_id}, {"device_id", device_id}}))
      << "js-sdk never saw mxcall's device signed by its owner";

  auto call = connected_call_from_js(*js, *mx);
  ASSERT_TRUE(call) << "(did js-sdk share its room key with the signed device?)";
  EXPECT_EQ(call->room_id, room);
  EXPECT_TRUE(audio_both_ways(*mx, *call, kJsTone, *js, kMxTone));
  ASSERT_TRUE(js->command({{"cmd", "hangup"}, {"call_id", call->call_id}}));
  EXPECT_TRUE(mx->wait_ended(*call));
  EXPECT_EQ(js_received_from_mx(*js, call->call_id)["m.call.answer"], 1);
  mx.reset();  // every send handed over before the room is read back
  EXPECT_TRUE(encrypted_on_the_wire(room, 5));
}

}  // namespace
}  // namespace mxcall::interop
