// mxcall against matrix-js-sdk 37.5.0 (MatrixCall on @roamhq/wrtc, a real MatrixClient syncing with Synapse): whole
// calls in both directions, rejects, several devices, glare and an unanswered call. Each test checks both sides'
// end state and reason, and audio both ways by frequency where media flows.
#include "interop_fixture.hpp"

namespace mxcall::interop {
namespace {

using Calls = InteropTest;

// The call from `js`'s incoming event, once it rang there.
std::optional<Json> js_rings(JsPeer& js, const std::string& call_id) { return js.wait_event("incoming", call_id, 15s); }

TEST_F(Calls, MxcallCallsJsAnswersJsHangsUp) {
  auto js = start_js("js", kJsTone);
  auto mx = start_mx("mx", kMxTone);
  ASSERT_TRUE(mx->ok());
  auto call = mx->call(room_);
  ASSERT_TRUE(call);
  auto incoming = js_rings(*js, call->call_id);
  ASSERT_TRUE(incoming) << "matrix-js-sdk never rang for our invite";
  EXPECT_EQ((*incoming)["caller"], mx_user_.user_id);
  EXPECT_FALSE((*incoming)["video"].get<bool>());
  ASSERT_TRUE(js->command({{"cmd", "answer"}, {"call_id", call->call_id}}));
  ASSERT_TRUE(mx->wait_state(*call, CallState::connected));
  EXPECT_TRUE(js->reached(call->call_id, "connected"));
  EXPECT_TRUE(audio_both_ways(*mx, *call, kJsTone, *js, kMxTone));

  ASSERT_TRUE(js->command({{"cmd", "hangup"}, {"call_id", call->call_id}}));
  auto ended = mx->wait_ended(*call);
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->reason, "user_hangup");
  EXPECT_FALSE(ended->local);
  auto js_end = js->wait_event("hangup", call->call_id, 5s);
  ASSERT_TRUE(js_end);
  EXPECT_EQ((*js_end)["party"], "local");
  EXPECT_EQ((*js_end)["reason"], "user_hangup");
}

TEST_F(Calls, JsCallsMxcallAnswersAndHangsUp) {
  auto js = start_js("js", kJsTone);
  auto mx = start_mx("mx", kMxTone);
  ASSERT_TRUE(mx->ok());
  std::string call_id = js_call(*js);
  ASSERT_FALSE(call_id.empty());
  auto incoming = mx->wait_incoming();
  ASSERT_TRUE(incoming) << "mxcall never rang for matrix-js-sdk's invite";
  EXPECT_EQ(incoming->call.call_id, call_id);
  EXPECT_EQ(incoming->call.room_id, room_);
  EXPECT_EQ(incoming->caller, js_user_.user_id);
  EXPECT_FALSE(incoming->video);
  mx->answer(incoming->call);
  ASSERT_TRUE(mx->wait_state(incoming->call, CallState::connected));
  EXPECT_TRUE(audio_both_ways(*mx, incoming->call, kJsTone, *js, kMxTone));

  mx->phone().hangup(incoming->call);
  auto ended = mx->wait_ended(incoming->call);
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->reason, "user_hangup");
  EXPECT_TRUE(ended->local);
  auto js_end = js->wait_event("hangup", call_id, 10s);
  ASSERT_TRUE(js_end) << "matrix-js-sdk did not end the call on our hangup";
  EXPECT_EQ((*js_end)["party"], "remote");
  EXPECT_EQ((*js_end)["reason"], "user_hangup");
}

TEST_F(Calls, JsRejectsOurCall) {
  auto js = start_js("js", kJsTone);
  auto mx = start_mx("mx", kMxTone);
  ASSERT_TRUE(mx->ok());
  auto call = mx->call(room_);
  ASSERT_TRUE(call);
  ASSERT_TRUE(js_rings(*js, call->call_id));
  ASSERT_TRUE(js->command({{"cmd", "reject"}, {"call_id", call->call_id}}));
  // A v1 peer rejects with m.call.reject (rule 35), not a hangup.
  auto sent = js->wait_for([&](const Json& e) { return e["ev"] == "sent" && e["call_id"] == call->call_id; }, 5s);
  ASSERT_TRUE(sent);
  EXPECT_EQ((*sent)["type"], "m.call.reject");
  auto ended = mx->wait_ended(*call);
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->reason, protocol::kEndedRejected);
  EXPECT_FALSE(ended->local);
  // js-sdk ends its own side with user_hangup on a reject (js-sdk-peer note 2).
  auto js_end = js->wait_event("hangup", call->call_id, 5s);
  ASSERT_TRUE(js_end);
  EXPECT_EQ((*js_end)["party"], "local");
}

TEST_F(Calls, MxcallRejectsJsCall) {
  auto js = start_js("js", kJsTone);
  auto mx = start_mx("mx", kMxTone);
  ASSERT_TRUE(mx->ok());
  std::string call_id = js_call(*js);
  ASSERT_FALSE(call_id.empty());
  auto incoming = mx->wait_incoming();
  ASSERT_TRUE(incoming);
  mx->phone().reject(incoming->call);
  auto ended = mx->wait_ended(incoming->call);
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->reason, protocol::kEndedRejected);
  EXPECT_TRUE(ended->local);
  auto received = js->wait_for(
      [&](const Json& e) { return e["ev"] == "voip" && e["call_id"] == call_id && e["type"] == "m.call.reject"; }, 10s);
  EXPECT_TRUE(received) << "matrix-js-sdk did not receive an m.call.reject";
  // js-sdk reports a reject as a remote user_hangup (matrix-js-sdk 37.5.0 lib/webrtc/call.js, onRejectReceived).
  auto js_end = js->wait_event("hangup", call_id, 10s);
  ASSERT_TRUE(js_end);
  EXPECT_EQ((*js_end)["party"], "remote");
  EXPECT_EQ((*js_end)["reason"], "user_hangup");
}

TEST_F(Calls, JsCalleeOnTwoDevicesOneAnswersTheOtherStopsRinging) {
  auto first = start_js("js-a", kJsTone, "JSDEVICEA");
  auto second = start_js("js-b", kJsSecondTone, "JSDEVICEB");
  auto mx = start_mx("mx", kMxTone);
  ASSERT_TRUE(mx->ok());
  auto call = mx->call(room_);
  ASSERT_TRUE(call);
  ASSERT_TRUE(js_rings(*first, call->call_id));
  ASSERT_TRUE(js_rings(*second, call->call_id));
  ASSERT_TRUE(second->command({{"cmd", "answer"}, {"call_id", call->call_id}}));
  ASSERT_TRUE(mx->wait_state(*call, CallState::connected));
  auto stopped = first->wait_event("hangup", call->call_id, 10s);
  ASSERT_TRUE(stopped) << "the device that did not answer kept ringing";
  EXPECT_EQ((*stopped)["reason"], "answered_elsewhere");
  EXPECT_TRUE(audio_both_ways(*mx, *call, kJsSecondTone, *second, kMxTone));
  EXPECT_FALSE(mx->ended(*call));

  mx->phone().hangup(*call);
  EXPECT_TRUE(second->wait_event("hangup", call->call_id, 10s));
}

TEST_F(Calls, TwoMxcallDevicesOneAnswersAndJsCallGoesOnWithIt) {
  auto js = start_js("js", kJsTone);
  auto answering = start_mx("mx-a", kMxTone);
  auto other = start_mx("mx-b", kMxSecondTone);
  ASSERT_TRUE(answering->ok() && other->ok());
  std::string call_id = js_call(*js);
  ASSERT_FALSE(call_id.empty());
  auto rings_a = answering->wait_incoming();
  auto rings_b = other->wait_incoming();
  ASSERT_TRUE(rings_a && rings_b) << "both devices of the callee ring (rule 23)";
  answering->answer(rings_a->call);
  ASSERT_TRUE(answering->wait_state(rings_a->call, CallState::connected));
  auto elsewhere = other->wait_ended(rings_b->call);
  ASSERT_TRUE(elsewhere);
  EXPECT_EQ(elsewhere->reason, protocol::kEndedAnsweredElsewhere);
  EXPECT_TRUE(audio_both_ways(*answering, rings_a->call, kJsTone, *js, kMxTone));

  ASSERT_TRUE(js->command({{"cmd", "hangup"}, {"call_id", call_id}}));
  auto ended = answering->wait_ended(rings_a->call);
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->reason, "user_hangup");
}

TEST_F(Calls, GlareEndsInOneConnectedCallWithAudio) {
  auto js = start_js("js", kJsTone);
  auto mx = start_mx("mx", kMxTone);
  ASSERT_TRUE(mx->ok());
  // Both place a call before either invite can have arrived (a Synapse hop is 30-40 ms, js-sdk waits 200 ms for
  // candidates before it sends its invite).
  std::size_t js_from = js->mark();
  ASSERT_TRUE(js->command({{"cmd", "call"}, {"room_id", room_}}));
  auto ours = mx->call(room_);
  ASSERT_TRUE(ours);
  auto js_placed = js->wait_for([&](const Json& e) { return e["ev"] == "done" && e["cmd"] == "call"; }, 5s, js_from);
  ASSERT_TRUE(js_placed);
  std::string theirs = (*js_placed)["call_id"];

  // The survivor: the call that connects at both ends. The other ends at both ends.
  std::string survivor;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (survivor.empty() && std::chrono::steady_clock::now() < deadline) {
    for (const auto& id : {ours->call_id, theirs}) {
      CallRef ref{room_, id};
      bool js_connected = js->reached(id, "connected", 0ms);
      bool mx_connected = false;
      for (const auto& s : mx->states(ref)) mx_connected |= s.change.state == CallState::connected;
      if (js_connected && mx_connected) survivor = id;
    }
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_FALSE(survivor.empty()) << "no call connected at both ends";
  std::string loser = survivor == ours->call_id ? theirs : ours->call_id;
  // The spec's glare rule picks the call with the lexicographically smaller call id; js-sdk does the same.
  EXPECT_EQ(survivor, std::min(ours->call_id, theirs));
  // Our side may never have seen the losing call ring (rule 62: an invite that loses glare is ended, not rung);
  // when it saw it, it ended it.
  if (!mx->states({room_, loser}).empty()) EXPECT_TRUE(mx->wait_state({room_, loser}, CallState::ended, 10s));
  EXPECT_TRUE(js->wait_event("hangup", loser, 10s)) << "matrix-js-sdk never ended the losing call";
  EXPECT_FALSE(mx->ended({room_, survivor}));
  EXPECT_TRUE(audio_both_ways(*mx, {room_, survivor}, kJsTone, *js, kMxTone));
}

TEST_F(Calls, UnansweredCallEndsInInviteTimeoutOnBothSides) {
  auto js = start_js("js", kJsTone);
  Timeouts short_lifetime;
  short_lifetime.invite_lifetime_ms = 6000;  // js-sdk rings for the invite's lifetime minus its age
  auto mx = start_mx("mx", kMxTone, short_lifetime);
  ASSERT_TRUE(mx->ok());
  auto call = mx->call(room_);
  ASSERT_TRUE(call);
  ASSERT_TRUE(js_rings(*js, call->call_id));
  auto ended = mx->wait_ended(*call, 15s);
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->reason, protocol::kEndedInviteTimeout);
  EXPECT_TRUE(ended->local);
  auto js_end = js->wait_event("hangup", call->call_id, 10s);
  ASSERT_TRUE(js_end) << "matrix-js-sdk kept ringing after the invite's lifetime";
  EXPECT_EQ((*js_end)["reason"], "invite_timeout");
  EXPECT_EQ((*js_end)["party"], "remote");
}

}  // namespace
}  // namespace mxcall::interop
