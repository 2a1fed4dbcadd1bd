// Fuzzes the event reader with arbitrary bytes, as one event and as a batch. Beyond "no crash, no sanitizer report",
// it checks the codec's properties on whatever is accepted: a read event that passes the sending rules must write,
// and what is written must read back equal (the round trip of tests/unit/round_trip_test.cpp, on hostile inputs).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "mxcall/protocol/event_reader.hpp"
#include "mxcall/protocol/event_writer.hpp"
#include "mxcall/protocol/send_rules.hpp"

namespace {

using namespace mxcall::protocol;

void check_round_trip(const ReadResult& result) {
  if (result.status != ReadStatus::call_event) return;
  if (common_of(result.event.content).call_id.empty()) std::abort();  // the reader promises a call_id
  std::string written;
  auto write_error = write_room_event(result.event, written);
  bool sendable = !check_send_rules(result.event.content, VersionCheck::skip);
  if (sendable != !write_error) std::abort();  // the writer applies exactly the sending rules
  if (write_error) return;
  static EventReader again;
  ReadResult back = again.read_event(written);
  if (back.status != ReadStatus::call_event) std::abort();
  // The writer normalises the version to "1" and the reader's leniencies away; the rest must survive.
  RoomEvent expected = result.event;
  common_of(expected.content).version =
      back.event.content.index() == expected.content.index() ? common_of(back.event.content).version : Version::v1();
  expected.type = back.event.type;
  if (!(back.event == expected)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static EventReader reader;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  check_round_trip(reader.read_event(text));

  static EventReader batch_reader;
  std::vector<ReadResult> results;
  batch_reader.read_events(text, "!fuzz:room", results);
  for (const auto& r : results) check_round_trip(r);
  return 0;
}
