// mxcall against matrix-js-sdk 37.5.0 (MatrixCall on @roamhq/wrtc, a real MatrixClient syncing with Synapse): the
// basic calls of basic_calls.cpp, several devices, glare and an unanswered call. Each test checks both sides'
// end state and reason, and audio both ways by frequency where media flows.
#include "basic_calls.hpp"

namespace mxcall::interop {
namespace {

using Calls = InteropTest;

INSTANTIATE_TEST_SUITE_P(Node, BasicCalls, ::testing::Values(PeerKind::node),
                         [](const ::testing::TestParamInfo<PeerKind>& param) { return to_string(param.param); });

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
  // Glare applies only to the user we call (rule 62): placed by room id, that is the other member of a direct chat,
  // found in our m.direct. js-sdk treats any crossing invite in the room as glare.
  ASSERT_TRUE(mx_user_.client->add_direct(js_user_.user_id, room_).ok());
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
  if (survivor == theirs) mx->share_recording(*ours, {room_, theirs});
  // The spec's glare rule picks the call with the lexicographically smaller call id; js-sdk does the same.
  EXPECT_EQ(survivor, std::min(ours->call_id, theirs));
  // Our side may never have seen the losing call ring (rule 62: an invite that loses glare is ended, not rung);
  // when it saw it, it ended it.
  if (!mx->states({room_, loser}).empty()) {
    EXPECT_TRUE(mx->wait_state({room_, loser}, CallState::ended, 10s));
  }
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
  // Our hangup reaches js-sdk with reason invite_timeout (rule 28).
  auto hangup = js->wait_for(
      [&](const Json& e) { return e["ev"] == "voip" && e["call_id"] == call->call_id && e["type"] == "m.call.hangup"; },
      10s);
  ASSERT_TRUE(hangup) << "our invite_timeout hangup never reached matrix-js-sdk";
  EXPECT_EQ((*hangup)["reason"], "invite_timeout");
  auto js_end = js->wait_event("hangup", call->call_id, 10s);
  ASSERT_TRUE(js_end) << "matrix-js-sdk kept ringing after the invite's lifetime";
  EXPECT_EQ((*js_end)["party"], "remote");
  // js-sdk ends a ringing call at the invite's expiry by its own timer, and then records no reason at all
  // (matrix-js-sdk 37.5.0 lib/webrtc/call.js, initWithInvite: hangupParty = remote, hangupReason unset); when our
  // hangup arrives first, the reason is ours. Either way the call ended at the lifetime, remotely.
  if (!(*js_end)["reason"].is_null()) {
    EXPECT_EQ((*js_end)["reason"], "invite_timeout");
  }
}

}  // namespace
}  // namespace mxcall::interop
