// RFC 4733 telephone-event receiving and the SDP lines that negotiate it, without media: redundant packets, lost
// and reordered ones, long events in segments, hostile payloads; the request checks of the call engine.
#include <gtest/gtest.h>

#include <array>

#include "mxcall/media/dtmf.hpp"
#include "mxcall/protocol/engine.hpp"

namespace mxcall::media {
namespace {

std::array<std::uint8_t, 4> event(std::uint8_t code, bool end, std::uint16_t duration) {
  return {code, static_cast<std::uint8_t>((end ? 0x80 : 0) | 10), static_cast<std::uint8_t>(duration >> 8),
          static_cast<std::uint8_t>(duration & 0xff)};
}

// One event as a sender emits it: a packet per 50 ms (400 units at 8 kHz), then the end packet three times.
std::vector<DtmfTone> play(DtmfReceiver& r, std::uint32_t ts, std::uint8_t code, std::uint16_t units) {
  std::vector<DtmfTone> out;
  for (std::uint16_t d = 400; d < units; d += 400) {
    auto got = r.on_packet(1, ts, event(code, false, d), 8000);
    out.insert(out.end(), got.begin(), got.end());
  }
  for (int i = 0; i < 3; ++i) {
    auto got = r.on_packet(1, ts, event(code, true, units), 8000);
    out.insert(out.end(), got.begin(), got.end());
  }
  return out;
}

TEST(DtmfReceiver, RedundantEndPacketsMakeOneDigitWithItsDuration) {
  DtmfReceiver r;
  EXPECT_EQ(play(r, 1000, 5, 800), (std::vector<DtmfTone>{{'5', 100}}));
  EXPECT_EQ(play(r, 3000, 11, 1600), (std::vector<DtmfTone>{{'#', 200}}));
  EXPECT_EQ(play(r, 5000, 15, 400), (std::vector<DtmfTone>{{'D', 50}}));
  EXPECT_FALSE(r.flush());
}

TEST(DtmfReceiver, DurationIsCountedInTheNegotiatedClockRate) {
  DtmfReceiver r;
  auto got = r.on_packet(7, 100, event(0, true, 4800), 48000);
  EXPECT_EQ(got, (std::vector<DtmfTone>{{'0', 100}}));
}

TEST(DtmfReceiver, AnEventWhoseEndWasLostIsReportedWhenTheNextStarts) {
  DtmfReceiver r;
  EXPECT_TRUE(r.on_packet(1, 1000, event(1, false, 400), 8000).empty());
  EXPECT_TRUE(r.on_packet(1, 1000, event(1, false, 800), 8000).empty());
  // The next event starts, its first packet already ending it (a short tone).
  auto got = r.on_packet(1, 5000, event(2, true, 400), 8000);
  EXPECT_EQ(got, (std::vector<DtmfTone>{{'1', 100}, {'2', 50}}));
  EXPECT_TRUE(r.on_packet(1, 1000, event(1, true, 800), 8000).empty()) << "a late end of a reported event";
  EXPECT_TRUE(r.on_packet(1, 9000, event(3, false, 400), 8000).empty());
  EXPECT_EQ(r.flush(), (DtmfTone{'3', 50}));
}

TEST(DtmfReceiver, ReorderedOlderPacketsAreNotDigits) {
  DtmfReceiver r;
  EXPECT_TRUE(r.on_packet(1, 5000, event(4, false, 400), 8000).empty());
  EXPECT_TRUE(r.on_packet(1, 4000, event(9, false, 400), 8000).empty());
  EXPECT_EQ(r.on_packet(1, 5000, event(4, true, 800), 8000), (std::vector<DtmfTone>{{'4', 100}}));
}

TEST(DtmfReceiver, LongEventInSegmentsIsOneDigit) {
  DtmfReceiver r;
  EXPECT_TRUE(r.on_packet(1, 0, event(7, false, 0xffff), 8000).empty());
  // RFC 4733 2.5.1.3: the next segment starts at the previous timestamp plus its full duration.
  auto got = r.on_packet(1, 0xffff, event(7, true, 8000), 8000);
  EXPECT_EQ(got, (std::vector<DtmfTone>{{'7', (0xffff + 8000) * 1000 / 8000}}));
}

TEST(DtmfReceiver, HostilePayloadsAreIgnored) {
  DtmfReceiver r;
  std::array<std::uint8_t, 3> short_payload{1, 0x80, 0};
  EXPECT_TRUE(r.on_packet(1, 0, short_payload, 8000).empty());
  EXPECT_TRUE(r.on_packet(1, 0, event(1, true, 400), 0).empty()) << "no clock rate";
  EXPECT_TRUE(r.on_packet(1, 100, event(16, true, 400), 8000).empty()) << "flash is not a digit";
  EXPECT_TRUE(r.on_packet(1, 200, event(255, true, 400), 8000).empty());
}

TEST(DtmfSdp, ReadsTelephoneEventsOfTheFirstAudioSection) {
  std::string sdp =
      "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
      "m=audio 9 UDP/TLS/RTP/SAVPF 111 126 110\r\na=rtpmap:111 opus/48000/2\r\n"
      "a=rtpmap:126 telephone-event/8000\r\na=rtpmap:110 TELEPHONE-EVENT/48000\r\n"
      "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:97 telephone-event/8000\r\n";
  auto events = telephone_events(sdp);
  EXPECT_EQ(events, (std::vector<TelephoneEvent>{{126, 8000}, {110, 48000}}));
  EXPECT_EQ(preferred_telephone_event(events), (TelephoneEvent{126, 8000}));
  EXPECT_EQ(preferred_telephone_event({{110, 48000}}), (TelephoneEvent{110, 48000}));
  EXPECT_FALSE(preferred_telephone_event({}));
  EXPECT_TRUE(telephone_events("m=audio 9 RTP/AVP 0\r\na=rtpmap:999 telephone-event/8000\r\n").empty());
  EXPECT_TRUE(telephone_events("m=audio 9 RTP/AVP 0\r\na=rtpmap:101 telephone-event/0\r\n").empty());
}

TEST(DtmfSdp, AddsTelephoneEventToTheAudioSectionOnly) {
  std::string sdp =
      "v=0\r\ns=-\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:audio0\r\na=rtpmap:111 OPUS/48000/2\r\n"
      "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n";
  auto with = with_telephone_event(sdp, {101, 8000});
  ASSERT_TRUE(with);
  EXPECT_EQ(*with,
            "v=0\r\ns=-\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 101\r\na=mid:audio0\r\na=rtpmap:111 OPUS/48000/2\r\n"
            "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n"
            "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n");
  EXPECT_EQ(telephone_events(*with), (std::vector<TelephoneEvent>{{101, 8000}}));
  EXPECT_FALSE(with_telephone_event(*with, {101, 8000})) << "already there";
  EXPECT_FALSE(with_telephone_event("v=0\r\nm=video 9 RTP/AVP 96\r\n", {101, 8000}));
}

TEST(DtmfRequest, DigitsDurationsAndGapsAreBounded) {
  using protocol::action::SendDtmf;
  EXPECT_FALSE(protocol::dtmf_problem(SendDtmf{{}, "0123456789*#ABCDabcd,"}));
  EXPECT_TRUE(protocol::dtmf_problem(SendDtmf{{}, ""}));
  EXPECT_TRUE(protocol::dtmf_problem(SendDtmf{{}, "12 3"}));
  EXPECT_TRUE(protocol::dtmf_problem(SendDtmf{{}, std::string(257, '1')}));
  EXPECT_TRUE(protocol::dtmf_problem(SendDtmf{{}, "1", 39}));
  EXPECT_TRUE(protocol::dtmf_problem(SendDtmf{{}, "1", 6001}));
  EXPECT_TRUE(protocol::dtmf_problem(SendDtmf{{}, "1", 100, 29}));
  EXPECT_EQ(protocol::dtmf_problem(SendDtmf{{}, "1\x01"}).value_or(""),
            "'\\x1' is not a DTMF digit: use 0-9 * # A-D, and ',' for a 2 s pause");
}

}  // namespace
}  // namespace mxcall::media
