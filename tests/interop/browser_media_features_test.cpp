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
  std::string call_id = js_call(*js);
  ASSERT_FALSE(call_id.empty());
  auto incoming = mx->wait_incoming();
  ASSERT_TRUE(incoming);
  mx->answer(incoming->call);
  ASSERT_TRUE(mx->wait_state(incoming->call, CallState::connected));
  ASSERT_TRUE(mx->hears(incoming->call, kJsTone)) << "no audio from Chromium before the digits";

  ASSERT_TRUE(js->command({{"cmd", "dtmf"}, {"call_id", call_id}, {"digits", "159*#0D"}}, 20s));
  auto heard = mx->wait_dtmf(incoming->call, 7);
  EXPECT_EQ(digits_of(heard), "159*#0D");
  for (const auto& d : heard) {
    // RTCDTMFSender's default tone is 100 ms, sent in 10 ms steps (libwebrtc): the end packet says about that.
    EXPECT_GE(d.duration_ms, 60u) << d.digit;
    EXPECT_LE(d.duration_ms, 200u) << d.digit;
  }
  // Audio goes on after the digits.
  EXPECT_TRUE(mx->hears(incoming->call, kJsTone));
  mx->phone().hangup(incoming->call);
  EXPECT_TRUE(mx->wait_ended(incoming->call));
}

// matrix-js-sdk shares its screen (setScreensharingEnabled: a second video m-line by m.call.negotiate, purpose
// m.screenshare) into a voice call: mxcall reports it as a stream of its own and decodes its frames; sharing stops,
// the stream ends, the frames stop, and the call and its audio go on.
TEST_F(BrowserMediaFeatures, JsScreenshareIsReceivedAsItsOwnStreamAndEndsCleanly) {
  auto js = start_js("js", kJsTone);
  auto mx = start_mx("mx", kMxTone);
  ASSERT_TRUE(mx->ok());
  std::string call_id = js_call(*js);
  ASSERT_FALSE(call_id.empty());
  auto incoming = mx->wait_incoming();
  ASSERT_TRUE(incoming);
  const CallRef& call = incoming->call;
  mx->answer(call);
  ASSERT_TRUE(mx->wait_state(call, CallState::connected));
  ASSERT_TRUE(mx->hears(call, kJsTone));

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

}  // namespace
}  // namespace mxcall::interop
