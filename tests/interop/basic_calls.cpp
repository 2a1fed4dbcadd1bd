// The first four scenarios against matrix-js-sdk, for each kind of JS peer: mxcall calls and JS answers and hangs up;
// JS calls and mxcall answers and hangs up; JS rejects our call; we reject JS's call. Both sides' end state and
// reason are checked, and audio both ways by frequency where media flows. Instantiated by calls_test.cpp (Node,
// @roamhq/wrtc) and browser_test.cpp (headless Chromium).
#include "basic_calls.hpp"

namespace mxcall::interop {

void BasicCalls::SetUp() {
  peer_ = GetParam();
  InteropTest::SetUp();
}

namespace {

TEST_P(BasicCalls, MxcallCallsJsAnswersJsHangsUp) {
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

TEST_P(BasicCalls, JsCallsMxcallAnswersAndHangsUp) {
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

TEST_P(BasicCalls, JsRejectsOurCall) {
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
  // The caller selects a reject as it would an answer (rule 44).
  EXPECT_TRUE(js->wait_for(
      [&](const Json& e) {
        return e["ev"] == "voip" && e["call_id"] == call->call_id && e["type"] == "m.call.select_answer";
      },
      5s))
      << "mxcall did not select matrix-js-sdk's reject";
  // js-sdk ends its own side with user_hangup on a reject (js-sdk-peer note 2).
  auto js_end = js->wait_event("hangup", call->call_id, 5s);
  ASSERT_TRUE(js_end);
  EXPECT_EQ((*js_end)["party"], "local");
}

TEST_P(BasicCalls, MxcallRejectsJsCall) {
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

}  // namespace
}  // namespace mxcall::interop
