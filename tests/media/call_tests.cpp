// Real calls between two engines over 127.0.0.1: audio verified by frequency, video by decoded frames, and the
// renegotiations the call engine drives (hold, resume, mutual hold, upgrade, ICE restart).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "media_harness.hpp"

namespace mxcall::media::test {
namespace {
using namespace std::chrono_literals;
using protocol::Direction;

constexpr double kToneA = 440.0, kToneB = 1000.0;

// Both sides record what they hear; each must hear the other's tone.
TEST(GstCall, AudioBothWaysCarriesEachSidesTone) {
  TempDir tmp;
  const std::string& dir = tmp.path;
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
        10s))
        << describe(call);
    EXPECT_TRUE(call.a.failures.empty());
    EXPECT_TRUE(call.b.failures.empty());
    EXPECT_TRUE(call.a.gathering_complete);

    call.pump_for(1500ms);  // RTCP (every ~1 s) brings the round-trip time
    SessionStats stats = call.a.session->stats();
    std::cout << "A stats: sent " << stats.packets_sent << " pkts/" << stats.bytes_sent << " B, received "
              << stats.packets_received << " pkts/" << stats.bytes_received << " B, level "
              << stats.audio_level.value_or(-1) << " (sent " << stats.sent_audio_level.value_or(-1) << "), rtt "
              << stats.round_trip_ms.value_or(-1) << " ms, pair " << stats.candidate_pair << "\n";
    EXPECT_GT(stats.packets_sent, 50u);
    EXPECT_GT(stats.packets_received, 50u);
    EXPECT_GT(stats.bytes_sent, 1000u);
    EXPECT_GT(stats.bytes_received, 1000u);
    ASSERT_TRUE(stats.audio_level.has_value());
    EXPECT_GT(*stats.audio_level, 0.01);
    ASSERT_TRUE(stats.sent_audio_level.has_value());  // the tone we send, measured before the encoder
    EXPECT_GT(*stats.sent_audio_level, 0.01);
    EXPECT_NE(stats.candidate_pair.find("127.0.0.1"), std::string::npos) << stats.candidate_pair;
    ASSERT_TRUE(stats.round_trip_ms.has_value());
    EXPECT_LT(*stats.round_trip_ms, 100.0);  // loopback

    // Offer shape the protocol layer relies on: Opus, one BUNDLE, our stream id as msid.
    const std::string& offer = call.a.descriptions.at(0).sdp;
    EXPECT_NE(offer.find("OPUS/48000/2"), std::string::npos);
    EXPECT_NE(offer.find("a=group:BUNDLE"), std::string::npos);
    EXPECT_NE(offer.find("msid:streamA"), std::string::npos) << offer;
    // Rule 30: the host candidate, gathered within milliseconds, rides inside the offer and the answer.
    for (const auto* side : {&call.a, &call.b}) {
      const std::string& sdp = side->descriptions.at(0).sdp;
      EXPECT_NE(sdp.find("a=candidate:"), std::string::npos) << sdp;
      EXPECT_NE(sdp.find(" 127.0.0.1 "), std::string::npos) << sdp;
    }
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
}

// A WAV file source is paced to real time (not sent as fast as it is read) and arrives as the file's tone.
// Rule 30: the candidates gathered before the first description went out ride inside it, so the peer can start its
// checks without an m.call.candidates event. With no trickled candidate delivered at all, the call still connects.
TEST(GstCall, ConnectsFromTheCandidatesInsideTheDescriptionsAlone) {
  Pair call(tone_options(kToneA), tone_options(kToneB));
  call.forward_candidates = false;
  ASSERT_TRUE(call.connect()) << "ICE did not connect from the candidates in the SDPs: " << describe(call);
  ASSERT_TRUE(call.pump_until(
      [&] { return call.a.counters().audio_samples_decoded > 0 && call.b.counters().audio_samples_decoded > 0; }, 10s))
      << describe(call);
  for (const auto* side : {&call.a, &call.b}) {
    const std::string& sdp = side->descriptions.at(0).sdp;
    // The candidate lines sit in the m-section (after its m= line), as RFC 8839 places them.
    EXPECT_GT(sdp.find("a=candidate:"), sdp.find("m=audio")) << sdp;
    // Gathering (host candidates only, no STUN or TURN server) was over before the description went out, unless
    // this busy machine took longer than the wait; then the marker is left out and candidates trickle.
    if (side->candidates == 0) {
      EXPECT_NE(sdp.find("a=end-of-candidates"), std::string::npos) << sdp;
    }
  }
}

// A STUN server that never answers: a UDP port on 127.0.0.1 that nobody reads, so gathering (host candidates, then
// a binding request per socket) cannot end until libnice gives up on it, seconds later.
class SilentStunServer {
 public:
  SilentStunServer() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    auto* generic = reinterpret_cast<sockaddr*>(&address);
    if (fd_ >= 0 && ::bind(fd_, generic, length) == 0 && ::getsockname(fd_, generic, &length) == 0) {
      port_ = ntohs(address.sin_port);
    }
  }
  ~SilentStunServer() {
    if (fd_ >= 0) ::close(fd_);
  }
  SilentStunServer(const SilentStunServer&) = delete;
  SilentStunServer& operator=(const SilentStunServer&) = delete;
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// Rule 30: the first description waits for gathering, at most candidate_gathering_wait_ms, but on the engine's
// threads: create_offer returns at once, and the description follows with the candidates found by the deadline.
TEST(GstCall, FirstDescriptionWaitsForCandidatesWithoutBlockingTheCaller) {
  SilentStunServer stun;
  ASSERT_NE(stun.port(), 0);
  GstEngineOptions a = tone_options(kToneA);
  a.candidate_gathering_wait_ms = 1500;
  SessionConfig config;
  config.ice_servers = {IceServer{{"stun:127.0.0.1:" + std::to_string(stun.port())}, "", ""}};
  Pair call(a, tone_options(kToneB), config);
  auto is_description = [](const protocol::MediaEvent& e) {
    return std::holds_alternative<protocol::media_event::LocalDescription>(e.event);
  };
  call.offer(call.a);
  EXPECT_FALSE(call.a.events.holds(is_description)) << "create_offer waited for gathering on the caller's thread";
  ASSERT_TRUE(call.pump_until([&] { return !call.a.descriptions.empty(); }, 10s)) << describe(call);
  const std::string& sdp = call.a.descriptions.at(0).sdp;
  EXPECT_NE(sdp.find("typ host"), std::string::npos) << sdp;             // the host candidates found by the deadline
  EXPECT_EQ(sdp.find("a=end-of-candidates"), std::string::npos) << sdp;  // gathering was still going on
  EXPECT_FALSE(call.a.gathering_complete);
  ASSERT_TRUE(call.pump_until([&] { return call.a.connected() && call.b.connected(); }, 10s)) << describe(call);
}

TEST(GstCall, WavFileSourceIsSentAtRealTimePace) {
  TempDir tmp;
  const std::string& dir = tmp.path;
  write_wav(dir + "/in.wav", 600, 8.0);
  GstEngineOptions a = tone_options(kToneA);
  a.audio_source = audio_source::WavFile{dir + "/in.wav"};
  {
    Pair call(a, tone_options(kToneB, dir + "/b_hears.wav"));
    ASSERT_TRUE(call.connect()) << describe(call);
    call.pump_for(500ms);
    // Over a window after connecting, as much audio is sent as time passes: an unpaced file would have gone out
    // all at once when the sender was unblocked, leaving nothing for the window.
    auto sent0 = call.a.counters().rtp_packets_sent_audio;
    auto start = std::chrono::steady_clock::now();
    call.pump_for(2s);
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double sent_seconds = static_cast<double>(call.a.counters().rtp_packets_sent_audio - sent0) * 0.020;
    EXPECT_GT(sent_seconds, wall * 0.75) << describe(call);
    EXPECT_LT(sent_seconds, wall * 1.25) << describe(call);
    EXPECT_GT(call.b.counters().audio_samples_decoded, 48000u) << describe(call);
  }
  int rate = 0;
  auto heard = read_wav(dir + "/b_hears.wav", &rate);
  EXPECT_NEAR(dominant_frequency(heard, rate), 600.0, 12.0);
}

bool has_line(const std::string& sdp, const std::string& line) { return sdp.find(line + "\r\n") != std::string::npos; }

// Connected, with audio flowing both ways (at least `packets` RTP packets each side).
void start_audio_call(Pair& call) {
  ASSERT_TRUE(call.connect()) << describe(call);
  ASSERT_TRUE(call.pump_until(
      [&] {
        return call.a.counters().audio_samples_decoded > 24000 && call.b.counters().audio_samples_decoded > 24000;
      },
      10s))
      << describe(call);
}

// 50 packets/s flow at 20 ms Opus frames: "flowing" is at least 30 in a second, "stopped" at most 3 (one may be
// in flight when the valve closes).
constexpr std::uint64_t kFlowing = 30, kStopped = 3;

TEST(GstCall, HoldStopsBothDirectionsAndResumeRestoresThem) {
  Pair call(tone_options(kToneA), tone_options(kToneB));
  start_audio_call(call);

  call.a.session->set_direction(Direction::sendonly);
  ASSERT_TRUE(call.negotiate(call.a)) << describe(call);
  EXPECT_TRUE(has_line(call.a.descriptions.back().sdp, "a=sendonly")) << call.a.descriptions.back().sdp;
  EXPECT_TRUE(has_line(call.b.descriptions.back().sdp, "a=recvonly")) << call.b.descriptions.back().sdp;
  call.pump_for(300ms);
  auto [a_held, b_held] = call.audio_packets_during(1s);
  EXPECT_LE(a_held, kStopped) << describe(call);
  EXPECT_LE(b_held, kStopped) << describe(call);

  call.a.session->set_direction(Direction::sendrecv);
  ASSERT_TRUE(call.negotiate(call.a)) << describe(call);
  EXPECT_TRUE(has_line(call.b.descriptions.back().sdp, "a=sendrecv"));
  call.pump_for(300ms);
  auto [a_resumed, b_resumed] = call.audio_packets_during(1s);
  EXPECT_GE(a_resumed, kFlowing) << describe(call);
  EXPECT_GE(b_resumed, kFlowing) << describe(call);
  EXPECT_TRUE(call.a.failures.empty() && call.b.failures.empty()) << describe(call);
}

// The inactive trap of webrtcbin 1.22: if either side ever negotiates a=inactive, its receive pads end for good.
TEST(GstCall, MutualHoldThenResumeOnBothSidesRestoresAudioBothWays) {
  Pair call(tone_options(kToneA), tone_options(kToneB));
  start_audio_call(call);

  call.a.session->set_direction(Direction::sendonly);
  ASSERT_TRUE(call.negotiate(call.a)) << describe(call);
  call.b.session->set_direction(Direction::sendonly);
  ASSERT_TRUE(call.negotiate(call.b)) << describe(call);
  call.pump_for(300ms);
  auto [a_held, b_held] = call.audio_packets_during(1s);
  EXPECT_LE(a_held, kStopped) << describe(call);
  EXPECT_LE(b_held, kStopped) << describe(call);
  // A long silence on hold must not look like a vanished peer (RTCP keeps the liveness watchdog fed).
  call.pump_for(5s);
  EXPECT_TRUE(call.a.connected() && call.b.connected()) << describe(call);

  call.a.session->set_direction(Direction::sendrecv);
  ASSERT_TRUE(call.negotiate(call.a)) << describe(call);
  call.pump_for(300ms);
  auto [a_half, b_half] = call.audio_packets_during(1s);  // B still holds: nothing flows yet
  EXPECT_LE(a_half, kStopped) << describe(call);
  EXPECT_LE(b_half, kStopped) << describe(call);

  call.b.session->set_direction(Direction::sendrecv);
  ASSERT_TRUE(call.negotiate(call.b)) << describe(call);
  call.pump_for(300ms);
  auto [a_back, b_back] = call.audio_packets_during(1s);
  EXPECT_GE(a_back, kFlowing) << describe(call);
  EXPECT_GE(b_back, kFlowing) << describe(call);

  for (Side* s : {&call.a, &call.b}) {
    for (const auto& d : s->descriptions) EXPECT_FALSE(has_line(d.sdp, "a=inactive")) << s->name << ":\n" << d.sdp;
  }
  EXPECT_TRUE(call.a.failures.empty() && call.b.failures.empty()) << describe(call);
}

TEST(GstCall, MuteStopsSendingWithoutRenegotiation) {
  Pair call(tone_options(kToneA), tone_options(kToneB));
  start_audio_call(call);
  auto descriptions = call.a.descriptions.size() + call.b.descriptions.size();

  call.a.session->set_muted({true, false});
  call.pump_for(200ms);
  auto [a_got, b_got] = call.audio_packets_during(1s);
  EXPECT_GE(a_got, kFlowing) << describe(call);  // B still talks to A
  EXPECT_LE(b_got, kStopped) << describe(call);  // A is silent
  EXPECT_FALSE(call.a.counters().send_audio_open);

  call.a.session->set_muted({false, false});
  call.pump_for(200ms);
  auto [a_after, b_after] = call.audio_packets_during(1s);
  EXPECT_GE(a_after, kFlowing) << describe(call);
  EXPECT_GE(b_after, kFlowing) << describe(call);
  EXPECT_EQ(call.a.descriptions.size() + call.b.descriptions.size(), descriptions) << "mute must not renegotiate";
}

TEST(GstCall, VideoFramesDecodedBothWays) {
  Pair call(tone_options(kToneA), tone_options(kToneB));
  call.a.wants.video = call.b.wants.video = true;
  ASSERT_TRUE(call.connect()) << describe(call);
  ASSERT_TRUE(call.pump_until(
      [&] { return call.a.counters().video_frames_decoded >= 15 && call.b.counters().video_frames_decoded >= 15; },
      15s))
      << describe(call) << call.a.descriptions.at(0).sdp << call.b.descriptions.at(0).sdp;
  const std::string& offer = call.a.descriptions.at(0).sdp;
  EXPECT_NE(offer.find("VP8/90000"), std::string::npos);
  EXPECT_NE(offer.find("a=group:BUNDLE audio0 video1"), std::string::npos) << offer;
  EXPECT_GT(call.b.counters().audio_samples_decoded, 0u);
}

// A callee without a camera (or that answers voice only) still sees the caller and answers recvonly for video.
TEST(GstCall, VoiceOnlyAnswerToAVideoOfferReceivesVideoAndSendsNone) {
  GstEngineOptions no_camera = tone_options(kToneB);
  no_camera.video_source = std::monostate{};
  Pair call(tone_options(kToneA), no_camera);
  call.a.wants.video = true;
  call.b.wants.video = true;  // wants video, but has nothing to send
  ASSERT_TRUE(call.connect()) << describe(call);
  ASSERT_TRUE(call.pump_until([&] { return call.b.counters().video_frames_decoded >= 10; }, 10s)) << describe(call);
  const std::string& answer = call.b.descriptions.at(0).sdp;
  auto video = answer.find("m=video");
  ASSERT_NE(video, std::string::npos) << answer;
  EXPECT_NE(answer.find("a=recvonly", video), std::string::npos) << answer;
  EXPECT_EQ(call.a.counters().video_frames_decoded, 0u);
  EXPECT_EQ(call.b.counters().rtp_packets_sent_video, 0u);
  // B's audio may start after its tenth decoded frame (once seen under ASan at a load of 8): wait for it, bounded.
  EXPECT_TRUE(call.pump_until([&] { return call.a.counters().audio_samples_decoded > 0; }, 5s)) << describe(call);
}

// A caller without a camera can still place a video call and see the callee (recvonly video m-line).
TEST(GstCall, CallerWithoutCameraOffersReceiveOnlyVideo) {
  GstEngineOptions no_camera = tone_options(kToneA);
  no_camera.video_source = std::monostate{};
  Pair call(no_camera, tone_options(kToneB));
  call.a.wants.video = call.b.wants.video = true;
  ASSERT_TRUE(call.connect()) << describe(call);
  ASSERT_TRUE(call.pump_until([&] { return call.a.counters().video_frames_decoded >= 10; }, 10s)) << describe(call);
  const std::string& offer = call.a.descriptions.at(0).sdp;
  EXPECT_NE(offer.find("a=recvonly", offer.find("m=video")), std::string::npos) << offer;
  EXPECT_EQ(call.b.counters().video_frames_decoded, 0u);
}

TEST(GstCall, VoiceCallUpgradesToVideoByRenegotiation) {
  Pair call(tone_options(kToneA), tone_options(kToneB));
  start_audio_call(call);
  EXPECT_EQ(call.a.counters().video_frames_decoded, 0u);
  call.a.wants.video = call.b.wants.video = true;
  ASSERT_TRUE(call.negotiate(call.a)) << describe(call);
  ASSERT_TRUE(call.pump_until(
      [&] { return call.a.counters().video_frames_decoded >= 10 && call.b.counters().video_frames_decoded >= 10; },
      15s))
      << describe(call);
  auto [a_audio, b_audio] = call.audio_packets_during(1s);
  EXPECT_GE(a_audio, kFlowing) << describe(call);
  EXPECT_GE(b_audio, kFlowing) << describe(call);
}

// The buffer grows during a call (jitter_buffer.cpp) by setting each jitter buffer itself, never rtpbin's latency
// (that path can deadlock with a new stream and get-stats); a stream that starts later, here video added by
// renegotiation, must still get the grown size rather than the one rtpbin was made with.
TEST(GstCall, JitterBufferGrowthReachesAStreamStartedLater) {
  constexpr std::uint32_t kStart = 10;  // any measured jitter grows it: 4 x jitter + a 20 ms frame is over 20
  GstEngineOptions a = tone_options(kToneA), b = tone_options(kToneB);
  a.jitter_buffer_ms = b.jitter_buffer_ms = kStart;
  Pair call(a, b);
  start_audio_call(call);
  ASSERT_TRUE(call.pump_until([&] { return call.b.counters().jitter_buffer_ms > kStart; }, 10s)) << describe(call);
  std::uint32_t grown = call.b.counters().jitter_buffer_ms;
  call.a.wants.video = call.b.wants.video = true;
  ASSERT_TRUE(call.negotiate(call.a)) << describe(call);
  ASSERT_TRUE(call.pump_until([&] { return call.b.counters().video_frames_decoded >= 1; }, 15s)) << describe(call);
  // counters() reads the smallest latency the buffers hold, the new video stream's included.
  EXPECT_GE(call.b.counters().jitter_buffer_ms, grown) << describe(call);
}

TEST(GstCall, IceRestartRenegotiatesRechecksAndAudioContinues) {
  Pair call(tone_options(kToneA), tone_options(kToneB));
  start_audio_call(call);
  auto ufrag = [](const std::string& sdp) {
    auto at = sdp.find("a=ice-ufrag:");
    return sdp.substr(at, sdp.find("\r\n", at) - at);
  };
  std::string a_before = ufrag(call.a.descriptions.back().sdp), b_before = ufrag(call.b.descriptions.back().sdp);
  int a_candidates = call.a.candidates, b_candidates = call.b.candidates;
  ASSERT_TRUE(call.negotiate(call.a, /*ice_restart=*/true)) << describe(call);
  call.pump_for(200ms);
  // libnice forgot the remote candidates on restart: both sides announce theirs again.
  EXPECT_GT(call.a.candidates, a_candidates);
  EXPECT_GT(call.b.candidates, b_candidates);
  // The agent really checked again (webrtcbin alone would have kept the old pair silently).
  EXPECT_GE(std::count(call.a.ice_states.begin(), call.a.ice_states.end(), protocol::IceState::checking), 2)
      << describe(call);
  // Both sides change credentials (RFC 8839), as browsers require of an answer to a restart.
  EXPECT_NE(ufrag(call.a.descriptions.back().sdp), a_before);
  EXPECT_NE(ufrag(call.b.descriptions.back().sdp), b_before);
  std::string a_restarted = ufrag(call.a.descriptions.back().sdp);
  // A later plain renegotiation keeps the new credentials (no accidental second restart).
  ASSERT_TRUE(call.negotiate(call.b)) << describe(call);
  EXPECT_EQ(ufrag(call.a.descriptions.back().sdp), a_restarted);
  call.pump_for(500ms);
  auto [a_audio, b_audio] = call.audio_packets_during(1s);
  EXPECT_GE(a_audio, kFlowing) << describe(call);
  EXPECT_GE(b_audio, kFlowing) << describe(call);
  EXPECT_TRUE(call.a.connected() && call.b.connected()) << describe(call);
  EXPECT_TRUE(call.a.failures.empty() && call.b.failures.empty()) << describe(call);
}

// matrix-js-sdk waits for gathering and sends its restart offer with the candidates inside the SDP, none
// trickled: the answerer's own restart must not forget them.
TEST(GstCall, IceRestartOfferWithCandidatesInsideTheSdpReconnects) {
  Pair call(tone_options(kToneA), tone_options(kToneB));
  start_audio_call(call);
  call.a.session->restart_ice();
  call.a.session->create_offer({call.a.wants, call.a.stream_id, true});
  std::string offer;
  std::vector<std::string> candidates;
  while (auto e = call.a.events.pop(300ms)) {
    if (auto* d = std::get_if<protocol::media_event::LocalDescription>(&e->event)) offer = d->sdp;
    if (auto* c = std::get_if<protocol::media_event::LocalCandidate>(&e->event)) candidates.push_back(c->candidate);
  }
  ASSERT_FALSE(offer.empty());
  ASSERT_FALSE(candidates.empty());
  auto mid = offer.find("a=mid:");
  std::string embedded;
  for (const auto& c : candidates) embedded += "a=" + c + "\r\n";
  offer.insert(offer.find("\r\n", mid) + 2, embedded);
  call.b.session->set_remote_description({"offer", offer});
  call.b.session->create_answer({call.b.wants, call.b.stream_id});
  int answers = call.answers_applied;
  ASSERT_TRUE(call.pump_until([&] { return call.answers_applied > answers; }, 5s)) << describe(call);
  call.pump_for(1s);
  auto [a_audio, b_audio] = call.audio_packets_during(1s);
  EXPECT_GE(a_audio, kFlowing) << describe(call);
  EXPECT_GE(b_audio, kFlowing) << describe(call);
  EXPECT_TRUE(call.a.connected() && call.b.connected()) << describe(call);
}

// The peer disappears without a hangup (crash, network gone): the engine must report it so the call engine's
// ICE-disconnect timer can end the call.
TEST(GstCall, RemoteVanishingIsReportedAsIceDisconnectedOrFailed) {
  Pair call(tone_options(kToneA), tone_options(kToneB));
  start_audio_call(call);
  auto start = std::chrono::steady_clock::now();
  call.b.session.reset();
  ASSERT_TRUE(call.pump_until(
      [&] {
        const auto& s = call.a.ice_states;
        return !s.empty() && (s.back() == protocol::IceState::disconnected || s.back() == protocol::IceState::failed);
      },
      45s))
      << describe(call);
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  std::cout << "vanished peer reported as " << protocol::to_string(call.a.ice_states.back()) << " after "
            << took.count() << " ms\n";
}

}  // namespace
}  // namespace mxcall::media::test
