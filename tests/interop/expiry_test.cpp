// matrix-js-sdk 37.5.0 as the caller of a call mxcall leaves ringing: js-sdk's invite lifetime is fixed at 60 s
// (lib/webrtc/call.js, CALL_TIMEOUT_MS, below the 90 s rule 17 recommends), so this waits out the real minute. mxcall,
// the callee, must stop ringing at that lifetime by its own clock and send nothing (rule 19); js-sdk, the caller,
// hangs up with reason invite_timeout (rule 28).
#include <algorithm>

#include "interop_fixture.hpp"

namespace mxcall::interop {
namespace {

using Expiry = InteropTest;

TEST_F(Expiry, JsInviteExpiresWhileMxcallRings) {
  auto js = start_js("js", kJsTone);
  auto mx = start_mx("mx", kMxTone);  // our own invites would live 90 s: nothing here may come from our lifetime
  ASSERT_TRUE(mx->ok());
  std::string call_id = js_call(*js);
  ASSERT_FALSE(call_id.empty());
  auto invite = js->wait_for(
      [&](const Json& e) { return e["ev"] == "sent" && e["call_id"] == call_id && e["type"] == "m.call.invite"; }, 15s);
  ASSERT_TRUE(invite) << "matrix-js-sdk never sent its invite";
  ASSERT_EQ((*invite)["lifetime"], 60000) << "matrix-js-sdk's invite lifetime changed: update this test and finding 7";
  auto incoming = mx->wait_incoming(15s);
  ASSERT_TRUE(incoming);
  ASSERT_EQ(incoming->call.call_id, call_id);
  auto rang_at = std::chrono::steady_clock::now();

  // We stop ringing at the invite's lifetime (counted from its age when it reached us), without answering.
  auto ended = mx->wait_ended(incoming->call, 75s);
  ASSERT_TRUE(ended) << "mxcall kept ringing past the caller's 60 s lifetime";
  auto rang_for = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - rang_at);
  EXPECT_GE(rang_for, 55s) << "mxcall stopped ringing before the invite's lifetime was over";
  EXPECT_LE(rang_for, 65s) << "mxcall rang well past the invite's lifetime";
  EXPECT_EQ(ended->reason, protocol::kEndedInviteTimeout);

  // js-sdk's own timer hangs up with invite_timeout: its local end, and the reason in the event it sends.
  auto js_end = js->wait_event("hangup", call_id, 15s);
  ASSERT_TRUE(js_end) << "matrix-js-sdk never gave up its unanswered call";
  EXPECT_EQ((*js_end)["reason"], "invite_timeout");
  EXPECT_EQ((*js_end)["party"], "local");
  auto hangup = js->wait_for(
      [&](const Json& e) { return e["ev"] == "sent" && e["call_id"] == call_id && e["type"] == "m.call.hangup"; }, 15s);
  ASSERT_TRUE(hangup) << "matrix-js-sdk ended its call without sending a hangup";
  EXPECT_EQ((*hangup)["reason"], "invite_timeout");

  // Rule 19: the callee whose ringing expired sends nothing, neither a hangup nor a reject. (js-sdk also reports
  // the echo of its own hangup as a received event: only what came from mxcall counts.)
  for (const auto& e : js->events()) {
    if (e["ev"] == "voip" && e["call_id"] == call_id && e["sender"] == mx_user_.user_id) {
      EXPECT_NE(e["type"], "m.call.hangup") << "mxcall sent a hangup for an invite that expired while ringing";
      EXPECT_NE(e["type"], "m.call.reject") << "mxcall sent a reject for an invite that expired while ringing";
    }
  }
  // The caller's late hangup does not bring the ended call back or end it twice.
  auto states = mx->states(incoming->call);
  EXPECT_EQ(std::count_if(states.begin(), states.end(),
                          [](const TimedState& s) { return s.change.state == CallState::ended; }),
            1);
}

}  // namespace
}  // namespace mxcall::interop
