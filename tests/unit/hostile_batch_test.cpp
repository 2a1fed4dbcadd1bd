// A /sync batch is the room's to fill: one oversized event is dropped alone (the rest of the batch is read), and a
// batch holds at most ReadLimits::max_batch_events events.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mxcall/protocol/event_reader.hpp"
#include "mxcall/protocol/router.hpp"

namespace mxcall::protocol {
namespace {

std::string hangup(const std::string& call_id, const std::string& event_id) {
  return R"({"type":"m.call.hangup","room_id":"!r:x","sender":"@b:x","event_id":")" + event_id +
         R"(","content":{"call_id":")" + call_id + R"(","party_id":"B","version":"1"}})";
}

std::string invite_with_sdp(std::size_t sdp_bytes) {
  return R"({"type":"m.call.invite","room_id":"!r:x","sender":"@b:x","event_id":"$big","content":{"call_id":"big",)"
         R"("party_id":"B","version":"1","lifetime":60000,"offer":{"type":"offer","sdp":")" +
         std::string(sdp_bytes, 'a') + R"("}}})";
}

TEST(HostileBatch, AnOversizedEventIsDroppedAloneAndTheRestIsRead) {
  // 10 MB of SDP inside a batch: accepted before (only the whole batch had a limit), 10x the per-event limit now.
  std::string batch = "[" + hangup("c1", "$h1") + "," + invite_with_sdp(10u << 20) + "," + hangup("c2", "$h2") + "]";
  EventReader reader;
  std::vector<ReadResult> out;
  EXPECT_FALSE(reader.read_events(batch, "!r:x", out));
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].status, ReadStatus::call_event);
  EXPECT_EQ(out[1].status, ReadStatus::invalid);
  EXPECT_EQ(out[1].type, "m.call.invite");
  EXPECT_EQ(out[1].event.event_id, "$big");
  EXPECT_NE(out[1].error.reason.find("over the 1048576-byte limit"), std::string::npos) << out[1].error.to_string();
  EXPECT_EQ(out[2].status, ReadStatus::call_event);

  // The router names the dropped event, and nothing rings.
  Router router(LocalParty{"@a:x", "A"});
  router.sync_batch(out, 0);
  bool named = false;
  for (const auto& output : router.take_outputs()) {
    if (const auto* ignored = std::get_if<Ignored>(&output)) {
      named |= ignored->event_id == "$big" && ignored->why.find("byte limit") != std::string::npos;
    }
  }
  EXPECT_TRUE(named);
  EXPECT_EQ(router.live_calls(), 0u);
}

TEST(HostileBatch, AnEventJustUnderTheLimitIsRead) {
  EventReader reader;
  std::vector<ReadResult> out;
  EXPECT_FALSE(reader.read_events("[" + invite_with_sdp(60000) + "]", "!r:x", out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].status, ReadStatus::call_event) << out[0].error.to_string();
}

TEST(HostileBatch, ABatchHoldsAtMostMaxBatchEvents) {
  ReadLimits limits;
  limits.max_batch_events = 100;
  EventReader reader(limits);
  std::string batch = "[";
  for (int i = 0; i < 250; ++i) batch += (i ? "," : "") + hangup("c" + std::to_string(i), "$h" + std::to_string(i));
  batch += "]";
  std::vector<ReadResult> out;
  auto error = reader.read_events(batch, "!r:x", out);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->to_string(),
            "document: the batch holds 250 events, over the 100-event limit; the first 100 were read");
  EXPECT_EQ(out.size(), 100u);
  int streamed = 0;
  EXPECT_TRUE(reader.for_each_event(batch, "!r:x", [&](const ReadResult&) { ++streamed; }));
  EXPECT_EQ(streamed, 100);
}

}  // namespace
}  // namespace mxcall::protocol
