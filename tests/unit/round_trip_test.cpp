// read(write(x)) == x for every event type, over generated values.
#include <gtest/gtest.h>

#include "content_generator.hpp"
#include "mxcall/protocol/event_reader.hpp"
#include "mxcall/protocol/event_writer.hpp"
#include "mxcall/protocol/send_rules.hpp"

namespace mxcall::protocol {
namespace {

TEST(RoundTrip, ReadOfWriteIsTheIdentityForGeneratedEvents) {
  constexpr int kRuns = 20000;
  test::ContentGenerator gen(0x6d78);
  EventReader reader;
  std::array<int, kEventKindCount> per_kind{};
  std::string text;
  for (int i = 0; i < kRuns; ++i) {
    RoomEvent original = gen.event();
    auto error = write_room_event(original, text);
    ASSERT_FALSE(error) << "run " << i << ": the generator made an unsendable event: " << error->to_string();
    ReadResult back = reader.read_event(text);
    ASSERT_EQ(back.status, ReadStatus::call_event) << "run " << i << ": " << back.error.to_string() << "\n" << text;
    ASSERT_FALSE(back.leniency) << "run " << i << ": our own output needed leniency: " << back.leniency->to_string();
    ASSERT_EQ(back.event, original) << "run " << i << "\n" << text;
    ASSERT_FALSE(check_send_rules(back.event.content)) << "run " << i;
    ++per_kind[original.content.index()];
  }
  for (std::size_t k = 0; k < kEventKindCount; ++k) {
    EXPECT_GT(per_kind[k], kRuns / 20) << "kind " << type_name(static_cast<EventKind>(k)) << " was hardly generated";
  }
}

TEST(RoundTrip, ContentOnlyWritesReadBackInsideAnEnvelope) {
  test::ContentGenerator gen(7);
  EventReader reader;
  for (int i = 0; i < 2000; ++i) {
    RoomEvent original = gen.event();
    std::string content;
    ASSERT_FALSE(write_content(original.content, content));
    std::string event = R"({"type":")" + std::string(original.type) + R"(","sender":"@x:y","content":)" + content + "}";
    ReadResult back = reader.read_event(event);
    ASSERT_EQ(back.status, ReadStatus::call_event) << back.error.to_string();
    ASSERT_EQ(back.event.content, original.content) << content;
  }
}

}  // namespace
}  // namespace mxcall::protocol
