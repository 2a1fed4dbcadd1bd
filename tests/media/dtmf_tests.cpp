// DTMF between two engines over 127.0.0.1: telephone-event negotiated in the offer and the answer, digits sent as
// RFC 4733 events and received as digits with durations, audio going on around them.
#include <gtest/gtest.h>

#include <string>

#include "media_harness.hpp"
#include "mxcall/media/dtmf.hpp"

namespace mxcall::media::test {
namespace {
using namespace std::chrono_literals;

std::string digits_of(const Side& side) {
  std::string out;
  for (const auto& d : side.dtmf) out += d.digit;
  return out;
}

TEST(GstDtmf, TelephoneEventIsNegotiatedAtEightKilohertz) {
  Pair call(tone_options(440), tone_options(1000));
  ASSERT_TRUE(call.connect()) << describe(call);
  const std::string& offer = call.a.descriptions.at(0).sdp;
  const std::string& answer = call.b.descriptions.at(0).sdp;
  EXPECT_EQ(telephone_events(offer), (std::vector<TelephoneEvent>{{101, 8000}})) << offer;
  EXPECT_EQ(telephone_events(answer), (std::vector<TelephoneEvent>{{101, 8000}})) << answer;
}

// Both directions, one after the other; every digit kind; the durations come from the events themselves.
TEST(GstDtmf, DigitsSentEachWayArriveInOrderWithDurations) {
  Pair call(tone_options(440), tone_options(1000));
  ASSERT_TRUE(call.connect()) << describe(call);
  ASSERT_TRUE(call.pump_until([&] { return call.b.counters().audio_samples_decoded > 9600; }, 10s)) << describe(call);

  call.a.session->send_dtmf({"1234567890*#ABCD", 300, 100});
  ASSERT_TRUE(call.pump_until([&] { return call.b.dtmf.size() >= 16; }, 20s)) << "heard " << digits_of(call.b) << "\n"
                                                                              << describe(call);
  EXPECT_EQ(digits_of(call.b), "1234567890*#ABCD");
  for (const auto& d : call.b.dtmf) {
    // rtpdtmfsrc sends in 50 ms packets: the last one's duration is within a packet of the tone asked for.
    EXPECT_GE(d.duration_ms, 250u) << d.digit;
    EXPECT_LE(d.duration_ms, 400u) << d.digit;
  }
  EXPECT_TRUE(call.a.dtmf.empty());

  call.b.session->send_dtmf({"9#", 500, 100});
  ASSERT_TRUE(call.pump_until([&] { return call.a.dtmf.size() >= 2; }, 10s)) << describe(call);
  EXPECT_EQ(digits_of(call.a), "9#");
  EXPECT_GE(call.a.dtmf[0].duration_ms, 450u);
  EXPECT_LE(call.a.dtmf[0].duration_ms, 600u);

  // Audio goes on after the digits (rtpdtmfmux gave the stream back to Opus).
  auto before = call.b.counters().audio_samples_decoded;
  ASSERT_TRUE(call.pump_until([&] { return call.b.counters().audio_samples_decoded > before + 48000; }, 5s))
      << describe(call);
  EXPECT_TRUE(call.a.failures.empty());
  EXPECT_TRUE(call.b.failures.empty());
}

}  // namespace
}  // namespace mxcall::media::test
