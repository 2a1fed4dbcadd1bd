// The runtime without media or homeserver: two Phones in an InProcessRoom with the fake media engine. The loop,
// the router binder, the room's delivery, timers and the observer, end to end.
#include <gtest/gtest.h>

#include <thread>

#include "mxcall/media/fake_media_engine.hpp"
#include "phone_recorder.hpp"

namespace mxcall::test {
namespace {

using namespace std::chrono_literals;

PhoneConfig fake_media() {
  PhoneConfig config;
  config.media_engine = std::make_shared<media::FakeMediaEngine>(media::FakeMediaOptions{true, true, true});
  config.stats_interval = 50ms;
  return config;
}

struct TwoPhones {
  Runtime runtime;
  InProcessRoom room{runtime, "!room:test"};
  std::unique_ptr<Phone> alice = Phone::in_room(runtime, room, "@alice:test", "ALICE", fake_media());
  std::unique_ptr<Phone> bob = Phone::in_room(runtime, room, "@bob:test", "BOB", fake_media());
  Recorder a, b;
  TwoPhones() {
    alice->set_observer(&a);
    bob->set_observer(&b);
  }
  ~TwoPhones() {
    for (auto* phone : {alice.get(), bob.get()}) {
      if (phone) phone->set_observer(nullptr);
    }
  }
  bool until(const std::function<bool()>& done) { return runtime.run_until(done, 10s); }
};

TEST(RuntimeRoom, PlaceRingAnswerConnectHangup) {
  TwoPhones t;
  auto call = t.alice->call("@bob:test", {.video = false, .media = {}});
  ASSERT_TRUE(call.ok()) << call.error().message;
  EXPECT_EQ(call->room_id, "!room:test");
  ASSERT_TRUE(t.until([&] { return !t.b.incoming.empty(); }));
  EXPECT_EQ(t.b.incoming[0].caller, "@alice:test");
  EXPECT_EQ(t.b.incoming[0].caller_party, "ALICE");
  EXPECT_EQ(t.b.incoming[0].call, *call);
  EXPECT_FALSE(t.b.incoming[0].video);
  t.bob->answer(t.b.incoming[0].call);
  ASSERT_TRUE(t.until([&] { return t.a.state() == CallState::connected && t.b.state() == CallState::connected; }));
  EXPECT_EQ(t.alice->live_calls(), std::vector<CallRef>{*call});
  t.alice->hangup(*call);
  ASSERT_TRUE(t.until([&] { return t.a.ended() && t.b.ended(); }));
  EXPECT_TRUE(t.a.ended()->local);
  EXPECT_FALSE(t.b.ended()->local);
  EXPECT_EQ(t.b.ended()->reason, "user_hangup");
  EXPECT_TRUE(t.alice->live_calls().empty());
  EXPECT_EQ(t.a.sent("m.call.invite"), 1);
  EXPECT_EQ(t.b.sent("m.call.answer"), 1);
  EXPECT_EQ(t.a.sent("m.call.hangup"), 1);
}

TEST(RuntimeRoom, RejectEndsTheCallerAsRejected) {
  TwoPhones t;
  auto call = t.alice->call("!room:test");
  ASSERT_TRUE(call.ok());
  ASSERT_TRUE(t.until([&] { return !t.b.incoming.empty(); }));
  t.bob->reject(t.b.incoming[0].call);
  ASSERT_TRUE(t.until([&] { return t.a.ended() != nullptr; }));
  EXPECT_EQ(t.a.ended()->reason, protocol::kEndedRejected);
  EXPECT_FALSE(t.a.ended()->local);
}

TEST(RuntimeRoom, RefusedActionsArriveAsCallbacks) {
  TwoPhones t;
  t.alice->hold(CallRef{"!room:test", "no-such-call"});
  t.alice->answer(CallRef{"!room:test", "no-such-call"});
  ASSERT_TRUE(t.until([&] { return t.a.refused.size() == 2; }));
}

TEST(RuntimeRoom, UnknownTargetIsAnErrorThatNamesTheRoom) {
  TwoPhones t;
  auto call = t.alice->call("@carol:test");
  ASSERT_FALSE(call.ok());
  EXPECT_NE(call.error().message.find("!room:test"), std::string::npos);
}

TEST(RuntimeRoom, InviteTimesOutOnTheRuntimesTimer) {
  Runtime runtime;
  InProcessRoom room{runtime, "!room:test"};
  PhoneConfig config = fake_media();
  config.timeouts.invite_lifetime_ms = 300;
  config.timeouts.ring_grace_ms = 0;
  auto alice = Phone::in_room(runtime, room, "@alice:test", "ALICE", config);
  Recorder a;
  alice->set_observer(&a);
  auto call = alice->call("!room:test");  // nobody else is in the room: nobody answers
  ASSERT_TRUE(call.ok());
  auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(runtime.run_until([&] { return a.ended() != nullptr; }, 5s));
  EXPECT_EQ(a.ended()->reason, protocol::kEndedInviteTimeout);
  // The router's clock is whole milliseconds (Runtime::Impl::now_ms truncates), so the invite can start up to 1 ms
  // before `started` as this thread measures it.
  EXPECT_GE(std::chrono::steady_clock::now() - started, 299ms);
  alice->set_observer(nullptr);
}

TEST(RuntimeRoom, PhoneMethodsFromAnotherThreadWhileTheLoopRuns) {
  TwoPhones t;
  std::thread loop([&] { t.runtime.run(); });
  // Everything below runs on this thread; the observers run on the loop thread, so the test waits on atomics.
  std::atomic<bool> rang{false}, connected{false}, ended{false};
  struct Watch final : PhoneObserver {
    std::atomic<bool>* rang;
    std::atomic<bool>* connected;
    std::atomic<bool>* ended;
    std::optional<CallRef> call;
    Phone* phone = nullptr;
    void on_incoming_call(const IncomingCall& c) override {
      phone->answer(c.call);  // from inside a callback, on the loop thread
      *rang = true;
    }
    void on_call_state(const CallStateChange& change) override {
      if (change.state == CallState::connected) *connected = true;
      if (change.state == CallState::ended) *ended = true;
    }
  } watch;
  watch.rang = &rang;
  watch.connected = &connected;
  watch.ended = &ended;
  watch.phone = t.bob.get();
  t.bob->set_observer(&watch);
  t.alice->set_observer(nullptr);
  auto call = t.alice->call("@bob:test");
  ASSERT_TRUE(call.ok());
  auto wait = [](std::atomic<bool>& flag) {
    for (int i = 0; i < 1000 && !flag; ++i) std::this_thread::sleep_for(10ms);
    return flag.load();
  };
  EXPECT_TRUE(wait(rang));
  EXPECT_TRUE(wait(connected));
  t.alice->hangup(*call);
  EXPECT_TRUE(wait(ended));
  t.bob->set_observer(nullptr);
  t.alice.reset();  // torn down while the loop runs on the other thread
  t.runtime.quit();
  loop.join();
}

TEST(RuntimeRoom, DestroyingAPhoneHangsUpItsCalls) {
  TwoPhones t;
  auto call = t.alice->call("@bob:test");
  ASSERT_TRUE(call.ok());
  ASSERT_TRUE(t.until([&] { return !t.b.incoming.empty(); }));
  t.bob->answer(t.b.incoming[0].call);
  ASSERT_TRUE(t.until([&] { return t.b.state() == CallState::connected; }));
  t.alice->set_observer(nullptr);
  t.alice.reset();
  ASSERT_TRUE(t.until([&] { return t.b.ended() != nullptr; }));
  EXPECT_EQ(t.b.ended()->reason, "user_hangup");
}

TEST(RuntimeRoom, StatsArriveWhileACallHasMedia) {
  TwoPhones t;
  auto call = t.alice->call("@bob:test");
  ASSERT_TRUE(call.ok());
  ASSERT_TRUE(t.until([&] { return !t.b.incoming.empty(); }));
  t.bob->answer(t.b.incoming[0].call);
  ASSERT_TRUE(t.until([&] { return t.a.last_stats.has_value() && t.b.last_stats.has_value(); }));
  EXPECT_EQ(t.a.last_stats->call, *call);
}

}  // namespace
}  // namespace mxcall::test
