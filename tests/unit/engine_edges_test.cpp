// Call-engine branches that neither the replay scripts nor the simulation reached: scripts/mutate.sh found a broken
// rule in each go unnoticed until these tests existed.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "mxcall/protocol/router.hpp"
#include "test_events.hpp"

namespace mxcall::protocol {
namespace {

using nlohmann::json;

const CallRef kCall{"!r:x", "c2"};

class EngineEdges : public ::testing::Test {
 protected:
  void sync(std::vector<json> events, Millis now) {
    std::string text = json(events).dump();
    std::vector<ReadResult> results;
    ASSERT_FALSE(reader_.read_events(text, "!r:x", results));
    router_.sync_batch(results, now);
  }

  // Bob's invite to us for kCall; `version` 0 makes it a VoIP v0 invite (no party id).
  static json invite(int version = 1) {
    json content = test::invite_content();
    content["call_id"] = kCall.call_id;
    content["invitee"] = "@alice:x";
    if (version == 0) {
      content["version"] = 0;
      content.erase("party_id");
    }
    return from_bob("m.call.invite", content, "$invite");
  }

  static json from_bob(const std::string& type, json content, const std::string& event_id) {
    json e = test::room_event(type, std::move(content));
    e["sender"] = "@bob:x";
    e["event_id"] = event_id;
    e["room_id"] = "!r:x";
    e["unsigned"]["age"] = 0;
    return e;
  }

  static std::vector<SendEvent> sent(const std::vector<Output>& outputs) {
    std::vector<SendEvent> events;
    for (const auto& o : outputs) {
      if (const auto* s = std::get_if<SendEvent>(&o)) events.push_back(*s);
    }
    return events;
  }

  static std::vector<MediaOp> media_ops(const std::vector<Output>& outputs) {
    std::vector<MediaOp> ops;
    for (const auto& o : outputs) {
      if (const auto* m = std::get_if<MediaCommand>(&o)) ops.push_back(m->op);
    }
    return ops;
  }

  EventReader reader_;
  Router router_{{"@alice:x", "ALICE1"}};
};

// Rule 60 with a v0 caller: our call has the lesser id and survives; the incoming call loses. A v0 caller knows no
// reject (rule 43), so the loser is told with a hangup giving the glare reason (docs/conformance.md, rule 62).
TEST_F(EngineEdges, AGlareLoserWhoseCallerIsV0GetsAHangupNotAReject) {
  router_.act(action::Call{"!r:x", "c1", "@bob:x", false}, 0);
  router_.media_event({{"!r:x", "c1"}, media_event::LocalDescription{"offer", "v=0 ours"}}, 1);
  router_.take_outputs();
  sync({invite(0)}, 10);
  auto events = sent(router_.take_outputs());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, EventKind::hangup);
  json content = json::parse(events[0].content);
  EXPECT_EQ(content["call_id"], "c2");
  EXPECT_EQ(content["reason"], kGlareHangupReason);
  EXPECT_EQ(router_.state_of({"!r:x", "c1"}), CallState::invite_sent);  // ours goes on
  EXPECT_EQ(router_.state_of(kCall), std::nullopt);
}

// Rule 31: a callee's candidates go in batches 500 ms apart, also one gathered before our answer was made.
TEST_F(EngineEdges, ACalleeCandidateGatheredBeforeTheAnswerGoesAfterTheCalleeDelay) {
  Timeouts defaults;
  ASSERT_NE(defaults.candidate_batch_callee_ms, defaults.candidate_batch_caller_ms);
  sync({invite()}, 0);
  router_.act(action::Answer{kCall, false}, 10);
  router_.media_event({kCall, media_event::LocalCandidate{"candidate:1 1 udp 1 127.0.0.1 5000 typ host", "0", 0u}}, 20);
  router_.media_event({kCall, media_event::LocalDescription{"answer", "v=0 answer"}}, 30);
  auto answer = sent(router_.take_outputs());
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_EQ(answer[0].kind, EventKind::answer);  // rule 29: the candidate waits for the answer
  Millis due = 30 + static_cast<Millis>(defaults.candidate_batch_callee_ms);
  EXPECT_EQ(router_.next_deadline(), due);
  router_.advance(due - 1);
  EXPECT_TRUE(sent(router_.take_outputs()).empty());
  router_.advance(due);
  auto batch = sent(router_.take_outputs());
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0].kind, EventKind::candidates);
}

// Digest 8.9: an end-of-candidates marker that arrives while we ring is held with the candidates and, once we
// answer, reaches the media engine as the end signal, never as a candidate.
TEST_F(EngineEdges, AnEndMarkerHeldWhileRingingIsHandedOverAsTheEndSignal) {
  sync({invite()}, 0);
  json candidates = test::candidates_content();
  candidates["call_id"] = kCall.call_id;
  sync({from_bob("m.call.candidates", candidates, "$cands")}, 5);
  auto held = media_ops(router_.take_outputs());
  EXPECT_TRUE(held.empty()) << "nothing reaches the media engine before we answer";
  router_.act(action::Answer{kCall, false}, 10);
  auto ops = media_ops(router_.take_outputs());
  int added = 0, ends = 0;
  for (const auto& op : ops) {
    if (const auto* add = std::get_if<media_op::AddRemoteCandidate>(&op)) {
      ++added;
      EXPECT_FALSE(add->candidate.empty()) << "the end marker was handed over as a candidate";
    }
    if (std::holds_alternative<media_op::EndOfRemoteCandidates>(op)) ++ends;
  }
  EXPECT_EQ(added, 1);
  EXPECT_EQ(ends, 1);
}

// A hostile caller may send candidates faster than we answer: what the call holds before an answer is bounded (256
// candidates), the event that would go over is dropped whole with its reason, and the held ones reach the media
// engine once we answer.
TEST_F(EngineEdges, CandidatesHeldBeforeTheAnswerAreBounded) {
  sync({invite()}, 0);
  router_.take_outputs();
  auto hundred_candidates = [](int first_port) {
    json content = test::candidates_content();
    content["call_id"] = kCall.call_id;
    content["candidates"] = json::array();
    for (int port = first_port; port < first_port + 100; ++port) {
      content["candidates"].push_back(
          {{"candidate", "candidate:1 1 UDP 2130706431 127.0.0.1 " + std::to_string(port) + " typ host"},
           {"sdpMid", "0"},
           {"sdpMLineIndex", 0}});
    }
    return content;
  };
  sync({from_bob("m.call.candidates", hundred_candidates(1000), "$c1"),
        from_bob("m.call.candidates", hundred_candidates(2000), "$c2"),
        from_bob("m.call.candidates", hundred_candidates(3000), "$c3")},
       5);
  std::vector<Ignored> ignored;
  for (const auto& o : router_.take_outputs()) {
    if (const auto* i = std::get_if<Ignored>(&o)) ignored.push_back(*i);
  }
  ASSERT_EQ(ignored.size(), 1u) << "200 fit below the bound of 256, the third hundred does not";
  EXPECT_EQ(ignored[0].event_id, "$c3");
  EXPECT_NE(ignored[0].why.find("too many candidates held before an answer"), std::string::npos) << ignored[0].why;
  router_.act(action::Answer{kCall, false}, 10);
  int added = 0;
  for (const auto& op : media_ops(router_.take_outputs()))
    added += std::holds_alternative<media_op::AddRemoteCandidate>(op);
  EXPECT_EQ(added, 200);
}

}  // namespace
}  // namespace mxcall::protocol
