// The call engine on top of real media: two protocol Routers (alice, bob) whose m.call.* events travel through a
// tiny in-process "homeserver" (each SendEvent becomes a /sync event for the other), and whose MediaCommands run on
// GStreamer sessions over 127.0.0.1. Place, ring, answer, connect, hold, resume, hang up.
#include <gtest/gtest.h>

#include <thread>

#include "media_harness.hpp"
#include "mxcall/protocol/event_reader.hpp"
#include "mxcall/protocol/router.hpp"

namespace mxcall::media::test {
namespace {
using namespace std::chrono_literals;
namespace p = protocol;

const std::string kRoom = "!dm:test";

struct Party {
  Party(std::string user, std::string party, double tone)
      : user_id(user), router(p::LocalParty{std::move(user), std::move(party)}), engine(tone_options(tone)) {}
  std::string user_id;
  p::Router router;
  GstMediaEngine engine;
  EventQueue media_events;
  std::unique_ptr<GstMediaSession> session;
  p::EventReader reader;
  std::vector<std::string> inbox;  // event JSON waiting for the next /sync
  std::vector<p::CallUpdate> updates;
  bool answer_when_ringing = false;

  std::optional<p::CallState> state() const {
    return updates.empty() ? std::nullopt : std::optional(updates.back().state);
  }
};

class EngineCall {
 public:
  EngineCall() : alice("@alice:test", "ALICEDEV", 440), bob("@bob:test", "BOBDEV", 1000) {}
  Party alice, bob;

  p::Millis now() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start_).count();
  }

  bool run_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      for (Party* party : {&alice, &bob}) step(*party);
      std::this_thread::sleep_for(5ms);
    }
    return true;
  }
  void run_for(std::chrono::milliseconds d) {
    run_until([] { return false; }, d);
  }

 private:
  void step(Party& me) {
    Party& other = &me == &alice ? bob : alice;
    while (auto e = me.media_events.pop(0ms)) me.router.media_event(*e, now());
    if (auto due = me.router.next_deadline(); due && *due <= now()) me.router.advance(now());
    if (!me.inbox.empty()) {
      std::string batch = "[";
      for (std::size_t i = 0; i < me.inbox.size(); ++i) batch += (i ? "," : "") + me.inbox[i];
      batch += "]";
      me.inbox.clear();
      std::vector<p::ReadResult> results;
      auto error = me.reader.read_events(batch, kRoom, results);
      ASSERT_FALSE(error) << error->to_string();
      me.router.sync_batch(results, now());
    }
    for (const auto& output : me.router.take_outputs()) {
      if (const auto* send = std::get_if<p::SendEvent>(&output)) {
        other.inbox.push_back(R"({"type":")" + std::string(p::type_name(send->kind)) + R"(","sender":")" + me.user_id +
                              R"(","event_id":"$)" + std::to_string(++event_counter_) +
                              R"(","origin_server_ts":1700000000000,"unsigned":{"age":0},"content":)" + send->content +
                              "}");
      } else if (const auto* command = std::get_if<p::MediaCommand>(&output)) {
        if (!me.session) me.session = me.engine.open_gst_session({command->call, {}, false}, me.media_events);
        execute(*me.session, command->op);
      } else if (const auto* update = std::get_if<p::CallUpdate>(&output)) {
        me.updates.push_back(*update);
        if (update->state == p::CallState::ringing && me.answer_when_ringing) {
          me.router.act(p::action::Answer{update->call, false}, now());
        }
      }
    }
  }

  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  int event_counter_ = 0;
};

std::uint64_t received(Party& party) {
  return party.session ? party.session->counters().rtp_packets_received_audio : 0;
}

TEST(GstEngineCall, PlaceAnswerHoldResumeHangupWithRealMedia) {
  EngineCall call;
  call.bob.answer_when_ringing = true;
  p::CallRef ref{kRoom, "mxcalltest1"};
  call.alice.router.act(p::action::Call{kRoom, ref.call_id, "@bob:test", false}, call.now());
  auto both = [&](p::CallState s) { return call.alice.state() == s && call.bob.state() == s; };
  ASSERT_TRUE(call.run_until([&] { return both(p::CallState::connected); }, 20s))
      << "alice " << (call.alice.state() ? p::to_string(*call.alice.state()) : "-") << ", bob "
      << (call.bob.state() ? p::to_string(*call.bob.state()) : "-");
  ASSERT_TRUE(call.run_until([&] { return received(call.alice) > 50 && received(call.bob) > 50; }, 10s));

  auto during = [&](std::chrono::milliseconds window) {
    auto a0 = received(call.alice), b0 = received(call.bob);
    call.run_for(window);
    return std::pair{received(call.alice) - a0, received(call.bob) - b0};
  };
  call.alice.router.act(p::action::Hold{ref}, call.now());
  call.run_for(1500ms);  // m.call.negotiate there and back
  auto [a_held, b_held] = during(1s);
  EXPECT_LE(a_held, 3u);
  EXPECT_LE(b_held, 3u);

  call.alice.router.act(p::action::Resume{ref}, call.now());
  call.run_for(1500ms);
  auto [a_back, b_back] = during(1s);
  EXPECT_GE(a_back, 30u);
  EXPECT_GE(b_back, 30u);

  // Mutual hold through the call engine, then both resume: the 1.22 inactive trap must not bite.
  call.alice.router.act(p::action::Hold{ref}, call.now());
  call.run_for(1500ms);
  call.bob.router.act(p::action::Hold{ref}, call.now());
  call.run_for(1500ms);
  auto [a_mutual, b_mutual] = during(1s);
  EXPECT_LE(a_mutual, 3u);
  EXPECT_LE(b_mutual, 3u);
  call.alice.router.act(p::action::Resume{ref}, call.now());
  call.run_for(1500ms);
  call.bob.router.act(p::action::Resume{ref}, call.now());
  call.run_for(1500ms);
  auto [a_again, b_again] = during(1s);
  EXPECT_GE(a_again, 30u);
  EXPECT_GE(b_again, 30u);

  call.alice.router.act(p::action::Hangup{ref}, call.now());
  ASSERT_TRUE(call.run_until([&] { return both(p::CallState::ended); }, 10s));
  EXPECT_EQ(call.bob.updates.back().reason, "user_hangup");
}

}  // namespace
}  // namespace mxcall::media::test
