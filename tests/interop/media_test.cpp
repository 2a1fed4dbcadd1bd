// mxcall against matrix-js-sdk 37.5.0 in the middle of a call: hold and resume from each side and from both, mute
// each way (as the other side sees it), video calls each way and a voice call that JS upgrades to video. Audio is
// checked both ways by frequency before and after each change.
#include "interop_fixture.hpp"

namespace mxcall::interop {
namespace {

constexpr long kSilentFrames = 10;  // of ~100 a second: a few packets may still trickle while held

// A connected mxcall → JS voice (or video) call with audio both ways, for the tests to change.
class MidCall : public InteropTest {
 protected:
  void SetUp() override {
    InteropTest::SetUp();
    js_ = start_js("js", kJsTone);
    mx_ = start_mx("mx", kMxTone);
    ASSERT_TRUE(mx_->ok());
  }

  void connect(bool video = false) {
    auto placed = mx_->call(room_, video);
    ASSERT_TRUE(placed);
    call_ = *placed;
    ASSERT_TRUE(js_->wait_event("incoming", call_.call_id, 15s));
    ASSERT_TRUE(js_->command({{"cmd", "answer"}, {"call_id", call_.call_id}, {"video", video}}));
    ASSERT_TRUE(mx_->wait_state(call_, CallState::connected));
    ASSERT_TRUE(js_->reached(call_.call_id, "connected"));
    ASSERT_TRUE(audio_both_ways(*mx_, call_, kJsTone, *js_, kMxTone));
  }

  void js(const Json& command) { ASSERT_TRUE(js_->command(command)); }
  Json js_report() {
    auto r = js_->report(call_.call_id);
    return r ? *r : Json::object();
  }

  // Loud 10 ms frames JS received over one second: ~100 when our audio flows, ~0 when it does not.
  long js_loud_frames() { return js_->loud_frames_over(call_.call_id, 1s).value_or(-1); }
  // Loud 10 ms blocks our side recorded over 1.5 s: ~150 when JS's tone flows.
  long mx_loud_blocks() { return mx_->loud_blocks_over(call_, 1500ms); }
  // Both ends hear silence: each side measured after the change had a second to reach the recordings.
  void expect_silence_both_ways() {
    std::this_thread::sleep_for(1s);
    EXPECT_LE(js_loud_frames(), kSilentFrames) << "matrix-js-sdk still hears our tone";
    EXPECT_LE(mx_loud_blocks(), kSilentFrames) << "mxcall still hears matrix-js-sdk's tone";
  }

  void hang_up_cleanly() {
    mx_->phone().hangup(call_);
    auto ended = mx_->wait_ended(call_);
    ASSERT_TRUE(ended);
    EXPECT_EQ(ended->reason, "user_hangup");
    auto js_end = js_->wait_event("hangup", call_.call_id, 10s);
    ASSERT_TRUE(js_end);
    EXPECT_EQ((*js_end)["reason"], "user_hangup");
  }

  std::unique_ptr<JsPeer> js_;
  std::unique_ptr<MxParty> mx_;
  CallRef call_;
};

using Hold = MidCall;
using Mute = MidCall;
using Video = MidCall;

TEST_F(Hold, JsHoldsAndResumes) {
  connect();
  js({{"cmd", "hold"}, {"call_id", call_.call_id}, {"on", true}});
  ASSERT_TRUE(mx_->wait_peer(call_, [](const PeerMediaState& s) { return s.on_hold; }))
      << "mxcall never saw matrix-js-sdk's hold (a=sendonly offer, rule 56)";
  // Neither hears the other: we stop sending to a holder, and js-sdk disables its own tracks while it holds
  // (matrix-js-sdk 37.5.0 lib/webrtc/call.js, updateMuteStatus: the microphone is off while remoteOnHold).
  expect_silence_both_ways();

  js({{"cmd", "hold"}, {"call_id", call_.call_id}, {"on", false}});
  ASSERT_TRUE(mx_->wait_peer(call_, [](const PeerMediaState& s) { return !s.on_hold; }));
  EXPECT_TRUE(audio_both_ways(*mx_, call_, kJsTone, *js_, kMxTone));
  hang_up_cleanly();
}

TEST_F(Hold, MxcallHoldsAndResumes) {
  connect();
  std::size_t from = js_->mark();
  mx_->phone().hold(call_);
  auto held = js_->wait_for([&](const Json& e) { return e["ev"] == "local_hold" && e["held"] == true; }, 10s, from);
  ASSERT_TRUE(held) << "matrix-js-sdk never saw our hold (its isLocalOnHold())";
  EXPECT_TRUE(js_report().value("local_on_hold", false));
  // Neither hears the other: the holder stops its own media (rule 56), the held side answered recvonly.
  expect_silence_both_ways();

  from = js_->mark();
  mx_->phone().resume(call_);
  ASSERT_TRUE(js_->wait_for([&](const Json& e) { return e["ev"] == "local_hold" && e["held"] == false; }, 10s, from));
  EXPECT_TRUE(audio_both_ways(*mx_, call_, kJsTone, *js_, kMxTone));
  hang_up_cleanly();
}

// js-sdk holds with a=sendonly; our hold on top of it is answered a=inactive by libwebrtc. After both resume, audio
// must flow both ways again.
TEST_F(Hold, MutualHoldThenResumeRestoresAudioBothWays) {
  connect();
  js({{"cmd", "hold"}, {"call_id", call_.call_id}, {"on", true}});
  ASSERT_TRUE(mx_->wait_peer(call_, [](const PeerMediaState& s) { return s.on_hold; }));
  std::size_t from = js_->mark();
  mx_->phone().hold(call_);
  ASSERT_TRUE(js_->wait_for([&](const Json& e) { return e["ev"] == "local_hold" && e["held"] == true; }, 10s, from));
  expect_silence_both_ways();

  js({{"cmd", "hold"}, {"call_id", call_.call_id}, {"on", false}});
  ASSERT_TRUE(mx_->wait_peer(call_, [](const PeerMediaState& s) { return !s.on_hold; }));
  from = js_->mark();
  mx_->phone().resume(call_);
  ASSERT_TRUE(js_->wait_for([&](const Json& e) { return e["ev"] == "local_hold" && e["held"] == false; }, 10s, from));
  EXPECT_TRUE(audio_both_ways(*mx_, call_, kJsTone, *js_, kMxTone));
  EXPECT_GE(mx_loud_blocks(), 100) << "mxcall's audio from matrix-js-sdk did not come back for good";
  EXPECT_GE(js_loud_frames(), 70) << "matrix-js-sdk's audio from mxcall did not come back for good";
  hang_up_cleanly();
}

TEST_F(Mute, EachSideSeesTheOthersMute) {
  connect();
  js({{"cmd", "mute"}, {"call_id", call_.call_id}, {"audio", true}, {"video", false}});
  EXPECT_TRUE(mx_->wait_peer(call_, [](const PeerMediaState& s) { return s.audio_muted; }))
      << "mxcall never saw matrix-js-sdk's mute (sdp_stream_metadata, rule 68)";
  std::this_thread::sleep_for(1s);
  EXPECT_LE(mx_loud_blocks(), kSilentFrames) << "matrix-js-sdk's muted microphone still reaches us";
  js({{"cmd", "mute"}, {"call_id", call_.call_id}, {"audio", false}, {"video", false}});
  EXPECT_TRUE(mx_->wait_peer(call_, [](const PeerMediaState& s) { return !s.audio_muted; }));

  std::size_t from = js_->mark();
  mx_->phone().mute(call_, true, false);
  EXPECT_TRUE(js_->wait_for([&](const Json& e) { return e["ev"] == "peer_mute" && e["audio"] == true; }, 10s, from))
      << "matrix-js-sdk never saw our mute";
  std::this_thread::sleep_for(500ms);
  EXPECT_LE(js_loud_frames(), kSilentFrames) << "our muted audio still reaches matrix-js-sdk";
  from = js_->mark();
  mx_->phone().mute(call_, false, false);
  EXPECT_TRUE(js_->wait_for([&](const Json& e) { return e["ev"] == "peer_mute" && e["audio"] == false; }, 10s, from));
  EXPECT_TRUE(audio_both_ways(*mx_, call_, kJsTone, *js_, kMxTone));
  hang_up_cleanly();
}

// Frames decoded on both sides of a video call, and the audio beside it.
void expect_video_both_ways(MxParty& mx, const CallRef& call, JsPeer& js) {
  bool js_sees = false;
  for (int i = 0; i < 50 && !js_sees; ++i) {
    auto r = js.report(call.call_id);
    js_sees = r && (*r)["video"].value("frames", 0) >= 10;
    if (!js_sees) std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(js_sees) << "matrix-js-sdk decoded no video from us";
  bool mx_sees = false;
  for (int i = 0; i < 50 && !mx_sees; ++i) {
    auto s = mx.stats(call);
    mx_sees = s && s->video_frames_received >= 10;
    if (!mx_sees) std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(mx_sees) << "mxcall decoded no video from matrix-js-sdk";
}

TEST_F(Video, MxcallPlacesAVideoCall) {
  connect(/*video=*/true);
  expect_video_both_ways(*mx_, call_, *js_);
  hang_up_cleanly();
}

TEST_F(Video, JsPlacesAVideoCall) {
  std::string call_id = js_call(*js_, /*video=*/true);
  ASSERT_FALSE(call_id.empty());
  auto incoming = mx_->wait_incoming();
  ASSERT_TRUE(incoming);
  EXPECT_TRUE(incoming->video);
  call_ = incoming->call;
  mx_->answer(call_, /*video=*/true);
  ASSERT_TRUE(mx_->wait_state(call_, CallState::connected));
  EXPECT_TRUE(audio_both_ways(*mx_, call_, kJsTone, *js_, kMxTone));
  expect_video_both_ways(*mx_, call_, *js_);
  hang_up_cleanly();
}

TEST_F(Video, JsUpgradesAVoiceCallToVideo) {
  connect();
  js({{"cmd", "upgrade"}, {"call_id", call_.call_id}});
  bool mx_sees = false;
  for (int i = 0; i < 50 && !mx_sees; ++i) {
    auto s = mx_->stats(call_);
    mx_sees = s && s->video_frames_received >= 10;
    if (!mx_sees) std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(mx_sees) << "mxcall decoded no video after matrix-js-sdk's upgrade (m.call.negotiate adding video)";
  EXPECT_TRUE(audio_both_ways(*mx_, call_, kJsTone, *js_, kMxTone));
  hang_up_cleanly();
}

}  // namespace
}  // namespace mxcall::interop
