// Media features against matrix-js-sdk in headless Chromium (the browser has RTCDTMFSender; @roamhq/wrtc 0.10.0 has
// none, js-sdk-peer note 13): DTMF from js-sdk's sendDtmfDigit received by mxcall as digits with durations.
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

}  // namespace
}  // namespace mxcall::interop
