// Bad remote SDPs become one clear Failed event (never a crash or a hang), answers take the peer's payload types,
// and check_ready() names what is missing.
#include <gtest/gtest.h>

#include "media_harness.hpp"

namespace mxcall::media::test {
namespace {
using namespace std::chrono_literals;
namespace ev = protocol::media_event;

// The events a side emitted within `wait`.
std::vector<protocol::MediaEvent> drain(Side& side, std::chrono::milliseconds wait = 300ms) {
  std::vector<protocol::MediaEvent> out;
  while (auto e = side.events.pop(wait)) out.push_back(std::move(*e));
  return out;
}

std::optional<ev::Failed> failure_in(const std::vector<protocol::MediaEvent>& events) {
  for (const auto& e : events) {
    if (auto* f = std::get_if<ev::Failed>(&e.event)) return *f;
  }
  return std::nullopt;
}

std::optional<std::string> description_in(const std::vector<protocol::MediaEvent>& events) {
  for (const auto& e : events) {
    if (auto* d = std::get_if<ev::LocalDescription>(&e.event)) return d->sdp;
  }
  return std::nullopt;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
}

// A real offer from one engine, to be mangled.
std::string real_offer(bool video) {
  Pair call(tone_options(440), tone_options(880));
  call.a.wants.video = video;
  call.a.session->create_offer({call.a.wants, "s", false});
  auto sdp = description_in(drain(call.a));
  return sdp.value_or("");
}

struct BadSdpCase {
  const char* name;
  std::string type;
  std::function<std::string()> sdp;
  const char* detail_contains;
};

void PrintTo(const BadSdpCase& c, std::ostream* os) { *os << c.name; }

class RemoteSdp : public ::testing::TestWithParam<BadSdpCase> {};

TEST_P(RemoteSdp, IsRefusedWithAClearFailure) {
  const BadSdpCase& c = GetParam();
  Pair call(tone_options(440), tone_options(880));
  auto start = std::chrono::steady_clock::now();
  call.b.session->set_remote_description({c.type, c.sdp()});
  call.b.session->create_answer({{}, "s"});  // what the call engine might still ask; must be harmless
  auto events = drain(call.b);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  auto failed = failure_in(events);
  ASSERT_TRUE(failed) << "no Failed event";
  EXPECT_EQ(failed->failure, protocol::MediaFailure::remote_description) << failed->detail;
  EXPECT_NE(failed->detail.find(c.detail_contains), std::string::npos) << failed->detail;
  EXPECT_FALSE(description_in(events)) << "answered an SDP it refused";
  int failures = 0;
  for (const auto& e : events) failures += std::holds_alternative<ev::Failed>(e.event);
  EXPECT_EQ(failures, 1);
  call.b.session->close();  // and closing after a failure is clean
}

INSTANTIATE_TEST_SUITE_P(
    Gst, RemoteSdp,
    ::testing::Values(
        BadSdpCase{"Garbage", "offer", [] { return std::string("hello \x01\x02 this is not SDP"); }, "not an SDP"},
        BadSdpCase{"Empty", "offer", [] { return std::string(); }, "not an SDP"},
        BadSdpCase{"NoMedia", "offer", [] { return std::string("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"); },
                   "no m-line"},
        BadSdpCase{"NoAudio", "offer",
                   [] {
                     std::string sdp = real_offer(true);
                     auto audio = sdp.find("m=audio"), video = sdp.find("m=video");
                     sdp.erase(audio, video - audio);
                     return sdp;
                   },
                   "no (enabled) audio"},
        BadSdpCase{"OnlyCodecsWeLack", "offer",
                   [] {
                     std::string sdp = real_offer(false);
                     replace_all(sdp, "SAVPF 111", "SAVPF 0 9");
                     replace_all(sdp, "a=rtpmap:111 OPUS/48000/2", "a=rtpmap:0 PCMU/8000\r\na=rtpmap:9 G722/8000");
                     return sdp;
                   },
                   "PCMU, G722"},
        BadSdpCase{"Enormous", "offer",
                   [] {
                     std::string sdp = real_offer(false);
                     while (sdp.size() < 4 * 1024 * 1024) sdp += "a=x-filler:0123456789abcdef0123456789abcdef\r\n";
                     return sdp;
                   },
                   "over the limit"},
        BadSdpCase{"NoIceCredentials", "offer",
                   [] {
                     std::string sdp = real_offer(false);
                     auto at = sdp.find("a=ice-ufrag:");
                     sdp.erase(at, sdp.find("\r\n", at) + 2 - at);
                     return sdp;
                   },
                   "refused by webrtcbin"},
        BadSdpCase{"AnswerWithoutOffer", "answer", [] { return real_offer(false); }, "refused by webrtcbin"},
        BadSdpCase{"UnknownType", "pranswer", [] { return real_offer(false); }, "unsupported remote description"}),
    [](const auto& test_case) { return std::string(test_case.param.name); });

// Browsers number codecs freely and list many; the answer must pick Opus and VP8 with the peer's numbers.
TEST(GstAnswer, TakesPayloadTypesFromABrowserLikeOffer) {
  std::string offer = real_offer(true);
  replace_all(offer, "SAVPF 111", "SAVPF 63 109 9 0 8");
  replace_all(offer, ":111 ", ":109 ");
  replace_all(offer, "a=rtpmap:109 OPUS/48000/2",
              "a=rtpmap:63 red/48000/2\r\na=rtpmap:109 opus/48000/2\r\na=rtpmap:9 G722/8000\r\na=rtpmap:0 "
              "PCMU/8000\r\na=rtpmap:8 PCMA/8000");
  replace_all(offer, "SAVPF 96", "SAVPF 98 120 102");
  replace_all(offer, ":96 ", ":120 ");
  replace_all(offer, "a=rtpmap:120 VP8/90000",
              "a=rtpmap:98 VP9/90000\r\na=rtpmap:120 VP8/90000\r\na=rtpmap:102 H264/90000");
  Pair call(tone_options(440), tone_options(880));
  call.b.session->set_remote_description({"offer", offer});
  call.b.session->create_answer({{true, true}, "streamB"});
  auto events = drain(call.b, 1s);
  ASSERT_FALSE(failure_in(events)) << failure_in(events)->detail << "\n" << offer;
  auto answer = description_in(events);
  ASSERT_TRUE(answer);
  // The offer (ours, renumbered) carries telephone-event 101, which the answer accepts for DTMF.
  EXPECT_NE(answer->find("m=audio 9 UDP/TLS/RTP/SAVPF 109 101\r\n"), std::string::npos) << *answer;
  EXPECT_NE(answer->find("a=rtpmap:101 telephone-event/8000"), std::string::npos) << *answer;
  EXPECT_NE(answer->find("a=rtpmap:109 OPUS/48000/2"), std::string::npos) << *answer;
  EXPECT_NE(answer->find("UDP/TLS/RTP/SAVPF 120\r\n"), std::string::npos) << *answer;
  EXPECT_NE(answer->find("a=rtpmap:120 VP8/90000"), std::string::npos) << *answer;
  EXPECT_EQ(answer->find("VP9"), std::string::npos);
  EXPECT_EQ(answer->find("PCMU"), std::string::npos);
  EXPECT_NE(answer->find("msid:streamB"), std::string::npos) << *answer;
}

// A crafted candidate never reaches the ICE agent: before the check, a multicast one made libnice send STUN
// requests to 224.0.0.1, and an m-line index past the remote description went through unchecked.
TEST(GstCandidates, UnroutableAndMisaddressedCandidatesAreDroppedWithAReason) {
  GstEngineOptions options = tone_options(880);
  options.candidate_limits.max_per_session = 2;
  Pair call(tone_options(440), options);
  call.b.session->set_remote_description({"offer", real_offer(false)});
  call.b.session->create_answer({{}, "s"});
  ASSERT_FALSE(failure_in(drain(call.b, 1s)));
  const std::string good = "candidate:1 1 UDP 2122260223 127.0.0.1 40000 typ host";
  call.b.session->add_remote_candidate({"candidate:1 1 UDP 2122260223 224.0.0.1 3478 typ host", {}, 0u});
  EXPECT_EQ(call.b.counters().remote_candidates_dropped, 1u);
  EXPECT_NE(call.b.counters().last_candidate_drop.find("multicast"), std::string::npos);
  call.b.session->add_remote_candidate({good, {}, 7u});
  EXPECT_NE(call.b.counters().last_candidate_drop.find("m-line 7"), std::string::npos);
  call.b.session->add_remote_candidate({good, std::string("no-such-mid"), std::nullopt});
  EXPECT_NE(call.b.counters().last_candidate_drop.find("mid"), std::string::npos);
  call.b.session->add_remote_candidate({"candidate:1 1 UDP 1 255.255.255.255 9 typ host", {}, 0u});
  EXPECT_NE(call.b.counters().last_candidate_drop.find("broadcast"), std::string::npos);
  EXPECT_EQ(call.b.counters().remote_candidates_dropped, 4u);
  call.b.session->add_remote_candidate({good, {}, 0u});
  call.b.session->add_remote_candidate({"candidate:2 1 UDP 2122260222 127.0.0.1 40001 typ host", {}, 0u});
  EXPECT_EQ(call.b.counters().remote_candidates_dropped, 4u) << call.b.counters().last_candidate_drop;
  call.b.session->add_remote_candidate({"candidate:3 1 UDP 2122260221 127.0.0.1 40002 typ host", {}, 0u});
  EXPECT_EQ(call.b.counters().remote_candidates_dropped, 5u);
  EXPECT_NE(call.b.counters().last_candidate_drop.find("max_per_session"), std::string::npos);
  EXPECT_FALSE(failure_in(drain(call.b, 200ms)));
}

TEST(GstEngine, CheckReadyPassesWithTheDebianPackagesInstalled) {
  GstMediaEngine engine(tone_options(440));
  EXPECT_EQ(engine.check_ready(), std::nullopt);
  for (const auto& r : required_elements(engine.options())) EXPECT_NE(std::string(r.debian_package), "");
}

TEST(GstEngine, MissingSourceFileIsALocalMediaFailure) {
  GstEngineOptions options = tone_options(440);
  options.audio_source = audio_source::WavFile{"/nonexistent/tone.wav"};
  Pair call(options, tone_options(880));
  call.a.session->create_offer({{}, "s", false});
  auto events = drain(call.a, 1s);
  auto failed = failure_in(events);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->failure, protocol::MediaFailure::local_media) << failed->detail;
  EXPECT_NE(failed->detail.find("asrc"), std::string::npos) << failed->detail;
}

}  // namespace
}  // namespace mxcall::media::test
