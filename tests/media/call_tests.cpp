// Real calls between two engines over 127.0.0.1: audio verified by frequency, video by decoded frames, and the
// renegotiations the call engine drives (hold, resume, mutual hold, upgrade, ICE restart).
#include <gtest/gtest.h>

#include <filesystem>

#include "media_harness.hpp"

namespace mxcall::media::test {
namespace {
using namespace std::chrono_literals;
using protocol::Direction;

constexpr double kToneA = 440.0, kToneB = 1000.0;

// Both sides record what they hear; each must hear the other's tone.
TEST(GstCall, AudioBothWaysCarriesEachSidesTone) {
  std::string dir = temp_dir();
  std::string wav_a = dir + "/a_hears.wav", wav_b = dir + "/b_hears.wav";
  {
    Pair call(tone_options(kToneA, wav_a), tone_options(kToneB, wav_b));
    ASSERT_EQ(call.a.engine->check_ready(), std::nullopt);
    ASSERT_TRUE(call.connect()) << "ICE did not connect";
    // 2 s of decoded audio each way (48 kHz).
    ASSERT_TRUE(call.pump_until(
        [&] {
          return call.a.counters().audio_samples_decoded > 96000 && call.b.counters().audio_samples_decoded > 96000;
        },
        10s));
    EXPECT_TRUE(call.a.failures.empty());
    EXPECT_TRUE(call.b.failures.empty());
    EXPECT_GT(call.a.candidates, 0);
    EXPECT_TRUE(call.a.gathering_complete);

    SessionStats stats = call.a.session->stats();
    EXPECT_GT(stats.packets_sent, 50u);
    EXPECT_GT(stats.packets_received, 50u);
    EXPECT_GT(stats.bytes_sent, 1000u);
    EXPECT_GT(stats.bytes_received, 1000u);
    ASSERT_TRUE(stats.audio_level.has_value());
    EXPECT_GT(*stats.audio_level, 0.01);
    EXPECT_NE(stats.candidate_pair.find("127.0.0.1"), std::string::npos) << stats.candidate_pair;

    // Offer shape the protocol layer relies on: Opus, one BUNDLE, our stream id as msid.
    const std::string& offer = call.a.descriptions.at(0).sdp;
    EXPECT_NE(offer.find("OPUS/48000/2"), std::string::npos);
    EXPECT_NE(offer.find("a=group:BUNDLE"), std::string::npos);
    EXPECT_NE(offer.find("msid:streamA"), std::string::npos) << offer;
    EXPECT_NE(call.b.descriptions.at(0).sdp.find("msid:streamB"), std::string::npos);
  }  // closing both sessions completes the WAV headers
  int rate_a = 0, rate_b = 0;
  auto heard_by_a = read_wav(wav_a, &rate_a);
  auto heard_by_b = read_wav(wav_b, &rate_b);
  ASSERT_EQ(rate_a, 48000);
  ASSERT_EQ(rate_b, 48000);
  ASSERT_GT(heard_by_a.size(), 48000u);
  ASSERT_GT(heard_by_b.size(), 48000u);
  EXPECT_GT(rms(heard_by_a), 500);
  EXPECT_NEAR(dominant_frequency(heard_by_a, rate_a), kToneB, kToneB * 0.02);
  EXPECT_NEAR(dominant_frequency(heard_by_b, rate_b), kToneA, kToneA * 0.02);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mxcall::media::test
