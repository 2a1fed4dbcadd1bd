// Media features against matrix-js-sdk in headless Chromium (the browser has RTCDTMFSender; @roamhq/wrtc 0.10.0 has
// none, js-sdk-peer note 13): DTMF from js-sdk's sendDtmfDigit received by mxcall as digits with durations.
#include <thread>

#include "interop_fixture.hpp"

namespace mxcall::interop {
namespace {

class BrowserMediaFeatures : public InteropTest {
 protected:
  void SetUp() override {
    peer_ = PeerKind::browser;
    InteropTest::SetUp();
  }

  // matrix-js-sdk calls, mxcall answers, and mxcall hears its tone: the call, or nullopt (the test has failed).
  std::optional<CallRef> js_calls_mx_answers(JsPeer& js, MxParty& mx, std::string& js_call_id) {
    auto call = connected_call_from_js(js, mx);
    if (!call) return std::nullopt;
    js_call_id = call->call_id;
    if (!mx.hears(*call, kJsTone)) return fail("no audio from Chromium");
    return call;
  }

 private:
  static std::optional<CallRef> fail(const char* why) {
    ADD_FAILURE() << why;
    return std::nullopt;
  }
};

std::string digits_of(const std::vector<DtmfReceived>& heard) {
  std::string out;
  for (const auto& d : heard) out += d.digit;
  return out;
}

// Chromium offers telephone-event at 8000 and 48000 Hz; our answer accepts the 8000 one (what RTCDTMFSender sends
// on), and the digits of its 100 ms tones arrive with the durations Chromium wrote into the events.
TEST_F(BrowserMediaFeatures, JsSendDtmfDigitReachesMxcallAsDigits) {
  auto js = start_js("js", kJsTone);
  auto mx = start_mx("mx", kMxTone);
  ASSERT_TRUE(mx->ok());
  std::string call_id;
  auto call = js_calls_mx_answers(*js, *mx, call_id);
  ASSERT_TRUE(call);

  ASSERT_TRUE(js->command({{"cmd", "dtmf"}, {"call_id", call_id}, {"digits", "159*#0D"}}, 20s));
  auto heard = mx->wait_dtmf(*call, 7);
  EXPECT_EQ(digits_of(heard), "159*#0D");
  for (const auto& d : heard) {
    // RTCDTMFSender's default tone is 100 ms, sent in 10 ms steps (libwebrtc): the end packet says about that.
    EXPECT_GE(d.duration_ms, 60u) << d.digit;
    EXPECT_LE(d.duration_ms, 200u) << d.digit;
  }
  // Audio goes on after the digits.
  EXPECT_TRUE(mx->hears(*call, kJsTone));
  mx->phone().hangup(*call);
  EXPECT_TRUE(mx->wait_ended(*call));
}

// matrix-js-sdk shares its screen (setScreensharingEnabled: a second video m-line by m.call.negotiate, purpose
// m.screenshare) into a voice call: mxcall reports it as a stream of its own and decodes its frames; sharing stops,
// the stream ends, the frames stop, and the call and its audio go on.
TEST_F(BrowserMediaFeatures, JsScreenshareIsReceivedAsItsOwnStreamAndEndsCleanly) {
  auto js = start_js("js", kJsTone);
  auto mx = start_mx("mx", kMxTone);
  ASSERT_TRUE(mx->ok());
  std::string call_id;
  auto answered = js_calls_mx_answers(*js, *mx, call_id);
  ASSERT_TRUE(answered);
  const CallRef& call = *answered;

  ASSERT_TRUE(js->command({{"cmd", "screenshare"}, {"call_id", call_id}, {"on", true}}));
  ASSERT_TRUE(mx->wait_screenshare(call, true)) << "mxcall never saw the screen share start";
  auto frames = [&] {
    auto stats = mx->stats(call);
    return stats ? stats->screenshare_frames_received : 0;
  };
  auto camera_frames = [&] {
    auto stats = mx->stats(call);
    return stats ? stats->video_frames_received : 0;
  };
  auto deadline = std::chrono::steady_clock::now() + 15s;
  while (frames() < 30 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(100ms);
  EXPECT_GE(frames(), 30u) << "screen share frames decoded";
  EXPECT_EQ(camera_frames(), 0u) << "the screen share is not the camera";
  EXPECT_TRUE(mx->hears(call, kJsTone)) << "audio during the screen share";

  ASSERT_TRUE(js->command({{"cmd", "screenshare"}, {"call_id", call_id}, {"on", false}}));
  ASSERT_TRUE(mx->wait_screenshare(call, false)) << "mxcall never saw the screen share end";
  std::this_thread::sleep_for(1s);
  auto after_stop = frames();
  std::this_thread::sleep_for(2s);
  EXPECT_LE(frames(), after_stop + 2) << "frames kept coming after the share ended";
  EXPECT_FALSE(mx->ended(call));
  EXPECT_TRUE(mx->hears(call, kJsTone)) << "audio after the screen share";
  mx->phone().hangup(call);
  EXPECT_TRUE(mx->wait_ended(call));
}

// mxcall shares its screen (a test pattern) into a voice call with matrix-js-sdk: js-sdk shows a remote feed of
// purpose m.screenshare and Chromium decodes its frames; mxcall stops, the feed goes away, the call goes on.
TEST_F(BrowserMediaFeatures, MxcallScreenshareIsShownByJsAsAScreenshareFeed) {
  auto js = start_js("js", kJsTone);
  auto mx = start_mx("mx", kMxTone);
  ASSERT_TRUE(mx->ok());
  auto call = mx->call(room_);
  ASSERT_TRUE(call);
  ASSERT_TRUE(js_rings(*js, call->call_id));
  ASSERT_TRUE(js->command({{"cmd", "answer"}, {"call_id", call->call_id}}));
  ASSERT_TRUE(mx->wait_state(*call, CallState::connected));
  ASSERT_TRUE(mx->hears(*call, kJsTone));

  mx->phone().share_screen(*call, true);
  auto report = [&] { return js->command({{"cmd", "report"}, {"call_id", call->call_id}}); };
  auto purposes_have_screenshare = [](const Json& r) {
    for (const auto& p : r["remote_purposes"]) {
      if (p == "m.screenshare") return true;
    }
    return false;
  };
  std::optional<Json> last;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    last = report();
    if (last && purposes_have_screenshare(*last) && (*last)["screenshare"]["frames"].get<int>() >= 20) break;
    std::this_thread::sleep_for(250ms);
  }
  ASSERT_TRUE(last);
  EXPECT_TRUE(purposes_have_screenshare(*last)) << last->dump();
  EXPECT_GE((*last)["screenshare"]["frames"].get<int>(), 20) << last->dump();
  EXPECT_EQ((*last)["video"]["frames"].get<int>(), 0) << "the share is not a camera: " << last->dump();

  mx->phone().share_screen(*call, false);
  deadline = std::chrono::steady_clock::now() + 15s;
  while (std::chrono::steady_clock::now() < deadline) {
    last = report();
    if (last && !purposes_have_screenshare(*last)) break;
    std::this_thread::sleep_for(250ms);
  }
  ASSERT_TRUE(last);
  EXPECT_FALSE(purposes_have_screenshare(*last)) << "js-sdk still shows the share: " << last->dump();
  EXPECT_FALSE(mx->ended(*call));
  EXPECT_TRUE(mx->hears(*call, kJsTone)) << "audio after the share";
  mx->phone().hangup(*call);
  EXPECT_TRUE(mx->wait_ended(*call));
}

}  // namespace
}  // namespace mxcall::interop
