// Router bounds that replay scripts do not reach easily: the early-event buffer's limits and how long ended call
// ids are remembered.
#include <gtest/gtest.h>

#include "mxcall/protocol/router.hpp"
#include "test_events.hpp"

namespace mxcall::protocol {
namespace {

using nlohmann::json;

class RouterBounds : public ::testing::Test {
 protected:
  void sync(Router& router, std::vector<json> events, Millis now) {
    std::string text = json(events).dump();
    std::vector<ReadResult> results;
    ASSERT_FALSE(reader_.read_events(text, "!r:x", results));
    router.sync_batch(results, now);
  }

  static json hangup(const std::string& call_id, const std::string& event_id) {
    json e = test::room_event("m.call.hangup", test::common({{"call_id", call_id}, {"reason", "user_hangup"}}));
    e["sender"] = "@bob:x";
    e["event_id"] = event_id;
    e["room_id"] = "!r:x";
    return e;
  }

  static json invite(const std::string& call_id, const std::string& event_id, int lifetime = 60000) {
    json content = test::invite_content();
    content["call_id"] = call_id;
    content["lifetime"] = lifetime;
    content["invitee"] = "@alice:x";
    json e = test::room_event("m.call.invite", content);
    e["sender"] = "@bob:x";
    e["event_id"] = event_id;
    e["room_id"] = "!r:x";
    e["unsigned"]["age"] = 0;
    return e;
  }

  static std::vector<std::string> ignored_ids(std::vector<Output> outputs, std::string_view why_part) {
    std::vector<std::string> ids;
    for (const auto& o : outputs) {
      if (const auto* i = std::get_if<Ignored>(&o); i && i->why.find(why_part) != std::string::npos) {
        ids.push_back(i->event_id);
      }
    }
    return ids;
  }

  static bool rang(const std::vector<Output>& outputs, std::string_view call_id) {
    for (const auto& o : outputs) {
      if (const auto* u = std::get_if<CallUpdate>(&o);
          u && u->call.call_id == call_id && u->state == CallState::ringing) {
        return true;
      }
    }
    return false;
  }

  EventReader reader_;
};

TEST_F(RouterBounds, EarlyEventsAreBoundedPerCallAndInCalls) {
  Timeouts t;
  t.early_events_per_call = 2;
  t.early_event_calls = 2;
  Router router({"@alice:x", "ALICE1"}, t);
  sync(router, {hangup("c1", "$1a"), hangup("c1", "$1b"), hangup("c1", "$1c")}, 10);
  EXPECT_EQ(ignored_ids(router.take_outputs(), "too many events held"), std::vector<std::string>{"$1c"});
  sync(router, {hangup("c2", "$2a"), hangup("c3", "$3a")}, 20);
  // A third unknown call pushes out the oldest one, whose events are reported as dropped.
  EXPECT_EQ(ignored_ids(router.take_outputs(), "the oldest was dropped"), (std::vector<std::string>{"$1a", "$1b"}));
  // c1 lost its early hangup, so its invite rings; c2 kept it, so its invite never rings (rule 21).
  sync(router, {invite("c1", "$i1"), invite("c2", "$i2")}, 30);
  auto outputs = router.take_outputs();
  EXPECT_TRUE(rang(outputs, "c1"));
  EXPECT_FALSE(rang(outputs, "c2"));
}

TEST_F(RouterBounds, EarlyEventsWhoseInviteNeverComesAgeOut) {
  Timeouts t;
  t.ended_call_memory_ms = 1000;
  Router router({"@alice:x", "ALICE1"}, t);
  sync(router, {hangup("c1", "$h")}, 0);
  router.advance(5000);
  EXPECT_EQ(ignored_ids(router.take_outputs(), "its invite never arrived"), std::vector<std::string>{"$h"});
  sync(router, {invite("c1", "$i")}, 5001);
  EXPECT_TRUE(rang(router.take_outputs(), "c1"));  // the hangup was forgotten with its buffer
}

TEST_F(RouterBounds, EndedCallIdsAreRememberedForAtLeastTheirLifetime) {
  Timeouts t;
  t.ended_call_memory_ms = 1000;  // shorter than the invite's lifetime: the lifetime wins
  Router router({"@alice:x", "ALICE1"}, t);
  sync(router, {invite("c1", "$i", 60000), hangup("c1", "$h")}, 0);
  router.take_outputs();
  sync(router, {hangup("c1", "$late")}, 59000);
  EXPECT_EQ(ignored_ids(router.take_outputs(), "the call has ended"), std::vector<std::string>{"$late"});
  router.advance(61000);
  sync(router, {hangup("c1", "$later")}, 61000);
  EXPECT_TRUE(ignored_ids(router.take_outputs(), "the call has ended").empty());  // forgotten: held as early
}

}  // namespace
}  // namespace mxcall::protocol
