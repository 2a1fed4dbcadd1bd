// The runtime with real media: two Phones in an InProcessRoom, GStreamer webrtcbin sessions over 127.0.0.1 (run
// inside `unshare -n` with only lo up). Place, answer, hold (the peer sees it, rule 56), resume, mutual hold, hang
// up, with the packets each way counted at every step. Replaces the ad-hoc binder of tests/media.
#include <gtest/gtest.h>

#include "phone_recorder.hpp"

namespace mxcall::test {
namespace {

using namespace std::chrono_literals;

struct MediaCall {
  Runtime runtime;
  InProcessRoom room{runtime, "!media:test"};
  std::unique_ptr<Phone> alice, bob;
  Recorder a, b;
  CallRef call;

  MediaCall() {
    PhoneConfig config;
    config.media_defaults.loopback_only = true;
    config.stats_interval = 100ms;
    alice = Phone::in_room(runtime, room, "@alice:test", "ALICEDEV", config);
    bob = Phone::in_room(runtime, room, "@bob:test", "BOBDEV", config);
    alice->set_observer(&a);
    bob->set_observer(&b);
  }
  ~MediaCall() {
    alice->set_observer(nullptr);
    bob->set_observer(nullptr);
  }

  std::uint64_t heard(const Recorder& r) const { return r.last_stats ? r.last_stats->received.packets : 0; }
  // Packets each side received during `window`.
  std::pair<std::uint64_t, std::uint64_t> during(std::chrono::milliseconds window) {
    runtime.run_until([] { return false; }, 300ms);  // a fresh stats round before counting
    auto a0 = heard(a), b0 = heard(b);
    runtime.run_until([] { return false; }, window);
    return {heard(a) - a0, heard(b) - b0};
  }
  bool peer_on_hold(const Recorder& r) const { return !r.peer.empty() && r.peer.back().on_hold; }
};

TEST(RuntimeMedia, PlaceAnswerHoldResumeHangup) {
  MediaCall t;
  MediaChoice alice_media, bob_media;
  alice_media.audio_source = audio_source::Tone{440, 0.3};
  bob_media.audio_source = audio_source::Tone{1000, 0.3};
  auto call = t.alice->call("@bob:test", {false, alice_media});
  ASSERT_TRUE(call.ok());
  ASSERT_TRUE(t.runtime.run_until([&] { return !t.b.incoming.empty(); }, 10s));
  t.bob->answer(*call, {false, bob_media});
  ASSERT_TRUE(t.runtime.run_until(
      [&] { return t.a.state() == CallState::connected && t.b.state() == CallState::connected; }, 20s));
  ASSERT_TRUE(t.runtime.run_until([&] { return t.heard(t.a) > 50 && t.heard(t.b) > 50; }, 10s));
  EXPECT_GT(t.a.last_stats->audio_samples_decoded, 0u);
  EXPECT_NE(t.a.last_stats->candidate_pair.find("127.0.0.1"), std::string::npos) << t.a.last_stats->candidate_pair;

  t.alice->hold(*call);
  ASSERT_TRUE(t.runtime.run_until([&] { return t.peer_on_hold(t.b); }, 5s)) << "bob never saw the hold";
  EXPECT_FALSE(t.peer_on_hold(t.a));
  auto [a_held, b_held] = t.during(1s);
  EXPECT_LE(a_held, 3u);
  EXPECT_LE(b_held, 3u);

  t.alice->resume(*call);
  ASSERT_TRUE(t.runtime.run_until([&] { return !t.peer_on_hold(t.b); }, 5s));
  auto [a_back, b_back] = t.during(1s);
  EXPECT_GE(a_back, 30u);
  EXPECT_GE(b_back, 30u);

  // Mutual hold, then both resume: the 1.22 inactive trap must not bite.
  t.alice->hold(*call);
  ASSERT_TRUE(t.runtime.run_until([&] { return t.peer_on_hold(t.b); }, 5s));
  t.bob->hold(*call);
  ASSERT_TRUE(t.runtime.run_until([&] { return t.peer_on_hold(t.a); }, 5s));
  auto [a_mutual, b_mutual] = t.during(1s);
  EXPECT_LE(a_mutual, 3u);
  EXPECT_LE(b_mutual, 3u);
  t.alice->resume(*call);
  t.runtime.run_until([] { return false; }, 1500ms);
  t.bob->resume(*call);
  ASSERT_TRUE(t.runtime.run_until([&] { return !t.peer_on_hold(t.a) && !t.peer_on_hold(t.b); }, 5s));
  auto [a_again, b_again] = t.during(1s);
  EXPECT_GE(a_again, 30u);
  EXPECT_GE(b_again, 30u);

  t.alice->hangup(*call);
  ASSERT_TRUE(t.runtime.run_until([&] { return t.a.ended() && t.b.ended(); }, 10s));
  EXPECT_EQ(t.b.ended()->reason, "user_hangup");
}

// mxcall <-> mxcall screen share through the public API: alice shares a test pattern into a voice call; bob sees a
// stream of its own and decodes its frames apart from the camera's; alice stops, bob sees it end, the call goes on.
TEST(RuntimeMedia, ScreenShareStartsAndEndsWhileTheCallGoesOn) {
  MediaCall t;
  auto call = t.alice->call("@bob:test");
  ASSERT_TRUE(call.ok());
  ASSERT_TRUE(t.runtime.run_until([&] { return !t.b.incoming.empty(); }, 10s));
  t.bob->answer(*call);
  ASSERT_TRUE(t.runtime.run_until(
      [&] { return t.a.state() == CallState::connected && t.b.state() == CallState::connected; }, 20s));
  auto share_frames = [&] { return t.b.last_stats ? t.b.last_stats->screenshare_frames_received : 0; };

  t.alice->share_screen(*call, true);
  ASSERT_TRUE(t.runtime.run_until([&] { return !t.b.screenshares.empty() && t.b.screenshares.back().active; }, 10s))
      << "bob never saw the share";
  EXPECT_NE(t.b.screenshares.back().stream_id.find("-screen"), std::string::npos);
  ASSERT_TRUE(t.runtime.run_until([&] { return share_frames() >= 20; }, 15s)) << share_frames() << " frames";
  EXPECT_EQ(t.b.last_stats->video_frames_received, 0u) << "the share is not a camera";

  t.alice->share_screen(*call, false);
  ASSERT_TRUE(t.runtime.run_until([&] { return !t.b.screenshares.back().active; }, 10s)) << "bob never saw it end";
  t.runtime.run_until([] { return false; }, 1s);
  auto stopped_at = share_frames();
  auto heard = t.heard(t.b);
  t.runtime.run_until([] { return false; }, 1500ms);
  EXPECT_LE(share_frames(), stopped_at + 2) << "frames after the share ended";
  EXPECT_GE(t.heard(t.b), heard + 30) << "audio goes on";
  EXPECT_FALSE(t.b.ended());
  EXPECT_TRUE(t.a.refused.empty()) << t.a.refused.front();

  t.alice->hangup(*call);
  ASSERT_TRUE(t.runtime.run_until([&] { return t.a.ended() && t.b.ended(); }, 10s));
}

// DTMF through the public API: refused before the call connects, then digits both ways as an IVR sees them.
TEST(RuntimeMedia, DtmfDigitsReachThePeersObserver) {
  MediaCall t;
  auto call = t.alice->call("@bob:test");
  ASSERT_TRUE(call.ok());
  t.alice->send_dtmf(*call, "1");
  ASSERT_TRUE(t.runtime.run_until([&] { return !t.a.refused.empty(); }, 5s));
  EXPECT_NE(t.a.refused.back().find("connected call"), std::string::npos) << t.a.refused.back();
  ASSERT_TRUE(t.runtime.run_until([&] { return !t.b.incoming.empty(); }, 10s));
  t.bob->answer(*call);
  ASSERT_TRUE(t.runtime.run_until(
      [&] { return t.a.state() == CallState::connected && t.b.state() == CallState::connected; }, 20s));

  t.alice->send_dtmf(*call, "12x");
  ASSERT_TRUE(t.runtime.run_until([&] { return t.a.refused.size() >= 2; }, 5s));
  EXPECT_NE(t.a.refused.back().find("'x' is not a DTMF digit"), std::string::npos) << t.a.refused.back();

  t.alice->send_dtmf(*call, "123#");
  t.bob->send_dtmf(*call, "*0", {.tone_ms = 300, .gap_ms = 100});
  ASSERT_TRUE(t.runtime.run_until([&] { return t.b.dtmf.size() >= 4 && t.a.dtmf.size() >= 2; }, 15s))
      << "bob heard \"" << t.b.dtmf << "\", alice heard \"" << t.a.dtmf << "\"";
  EXPECT_EQ(t.b.dtmf, "123#");
  EXPECT_EQ(t.a.dtmf, "*0");
  t.alice->hangup(*call);
  ASSERT_TRUE(t.runtime.run_until([&] { return t.a.ended() && t.b.ended(); }, 10s));
}

}  // namespace
}  // namespace mxcall::test
