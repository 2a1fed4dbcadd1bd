// The GStreamer engine's pure helpers: candidates written into a description (rule 30) and the jitter buffer's
// growth policy. No pipeline, no network.
#include <gtest/gtest.h>

#include "jitter_buffer.hpp"
#include "sdp_info.hpp"

namespace mxcall::media::gst {
namespace {

constexpr const char* kTwoLines =
    "v=0\r\no=- 1 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE audio0 video1\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:audio0\r\na=rtpmap:111 OPUS/48000/2\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:video1\r\na=rtpmap:96 VP8/90000\r\n";

TEST(SdpCandidates, GoIntoTheirOwnMediaSectionWithTheEndMarkerWhenGatheringIsOver) {
  std::vector<GatheredCandidate> gathered{{0, "candidate:1 1 UDP 2015363327 127.0.0.1 40000 typ host"},
                                          {0, "candidate:2 1 TCP 1015021823 127.0.0.1 9 typ host tcptype active"}};
  std::string sdp = with_candidates(kTwoLines, gathered, true);
  std::string audio = sdp.substr(sdp.find("m=audio"), sdp.find("m=video") - sdp.find("m=audio"));
  std::string video = sdp.substr(sdp.find("m=video"));
  EXPECT_NE(audio.find("a=candidate:1 1 UDP 2015363327 127.0.0.1 40000 typ host\r\n"), std::string::npos);
  EXPECT_NE(audio.find("a=candidate:2 1 TCP"), std::string::npos);
  EXPECT_TRUE(audio.ends_with("a=end-of-candidates\r\n"));
  EXPECT_EQ(video.find("a=candidate"), std::string::npos);
  EXPECT_EQ(video.find("a=end-of-candidates"), std::string::npos);
  // Everything that was there stays, in order, and the result still parses with both lines and their mids.
  EXPECT_EQ(sdp.substr(0, sdp.find("a=candidate")), std::string(kTwoLines).substr(0, sdp.find("a=candidate")));
  auto parsed = parse_sdp(sdp);
  ASSERT_TRUE(std::holds_alternative<SdpInfo>(parsed));
  EXPECT_EQ(std::get<SdpInfo>(parsed).lines.size(), 2u);
  EXPECT_EQ(std::get<SdpInfo>(parsed).lines[1].mid, "video1");
}

TEST(SdpCandidates, LastSectionAndNoMarkerWhileGatheringGoesOn) {
  std::string sdp =
      with_candidates(kTwoLines, {{1, "candidate:3 1 UDP 1 192.0.2.1 5000 typ srflx raddr 0.0.0.0 rport 0"}}, false);
  EXPECT_TRUE(
      sdp.ends_with("a=mid:video1\r\na=rtpmap:96 VP8/90000\r\na=candidate:3 1 UDP 1 192.0.2.1 5000 typ srflx "
                    "raddr 0.0.0.0 rport 0\r\n"));
  EXPECT_EQ(sdp.find("a=end-of-candidates"), std::string::npos);
}

TEST(SdpCandidates, NoneGatheredOrForAMissingLineLeavesTheSdpAlone) {
  EXPECT_EQ(with_candidates(kTwoLines, {}, true), kTwoLines);
  EXPECT_EQ(with_candidates(kTwoLines, {{7, "candidate:1 1 UDP 1 127.0.0.1 1 typ host"}}, true), kTwoLines);
}

TEST(SdpCandidates, AnSdpWithoutAFinalLineBreakStaysWellFormed) {
  std::string sdp =
      with_candidates("v=0\nm=audio 9 RTP/AVP 111\na=mid:0", {{0, "candidate:1 1 UDP 1 127.0.0.1 1 typ host"}}, false);
  EXPECT_EQ(sdp, "v=0\nm=audio 9 RTP/AVP 111\na=mid:0\na=candidate:1 1 UDP 1 127.0.0.1 1 typ host\n");
}

TEST(JitterBuffer, StaysWhileTheNetworkIsCalm) {
  EXPECT_EQ(next_jitter_buffer_ms(60, 300, {0, 0.0}), 60u);
  EXPECT_EQ(next_jitter_buffer_ms(60, 300, {0, 5.0}), 60u);  // 4 x 5 + 20 = 40: covered
}

TEST(JitterBuffer, CoversFourTimesTheJitterPlusAFrameInTensOfMs) {
  EXPECT_EQ(next_jitter_buffer_ms(60, 300, {0, 12.0}), 70u);   // 68 -> 70
  EXPECT_EQ(next_jitter_buffer_ms(60, 300, {0, 30.0}), 140u);  // 140
}

TEST(JitterBuffer, GrowsByHalfWhenPacketsCameLate) {
  EXPECT_EQ(next_jitter_buffer_ms(60, 300, {3, 0.0}), 90u);
  EXPECT_EQ(next_jitter_buffer_ms(20, 300, {1, 0.0}), 40u);  // at least 20 ms more
}

TEST(JitterBuffer, NeverShrinksAndNeverPassesItsMaximum) {
  EXPECT_EQ(next_jitter_buffer_ms(150, 300, {0, 1.0}), 150u);
  EXPECT_EQ(next_jitter_buffer_ms(250, 300, {5, 200.0}), 300u);
  EXPECT_EQ(next_jitter_buffer_ms(300, 300, {5, 200.0}), 300u);
  EXPECT_EQ(next_jitter_buffer_ms(200, 200, {5, 200.0}), 200u);  // equal values: a fixed buffer
}

}  // namespace
}  // namespace mxcall::media::gst
