// Lenient reading of received room events (the receive rules of ../shared/spec/voip-digest.md).
//
// What a peer may legitimately send is accepted: integer 0 is v0 and anything else is v1, party_id may be absent,
// a missing hangup reason is user_hangup, unknown reasons and purposes are kept, sdpMid may be missing or "",
// {"candidate": ""} is end-of-candidates, unknown keys are ignored and received ids are not held to the identifier
// grammar. What cannot be used (no call_id, a field of the wrong JSON type, invalid UTF-8, a document too deep or too
// large, ...) is rejected with a FieldError that names the field. The reader never throws and never reads past the
// document, whatever the input.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mxcall/protocol/call_events.hpp"
#include "mxcall/protocol/event_types.hpp"

namespace mxcall::protocol {

// Why an event or document was rejected. `field` is a path such as "content.candidates[2].sdpMLineIndex", or
// "document" for problems with the JSON text as a whole.
struct FieldError {
  std::string field;
  std::string reason;
  std::string to_string() const { return field + ": " + reason; }
  bool operator==(const FieldError&) const = default;
};

struct ReadLimits {
  // The spec caps a whole event at 65536 bytes; a little headroom for servers that let bigger ones through.
  // Applies to each event of a batch too: one oversized event is refused alone and the rest of the batch is read.
  std::size_t max_event_bytes = std::size_t{1} << 20;
  std::size_t max_batch_bytes = std::size_t{64} << 20;
  // Events read from one batch; the rest are not read (the batch's error says how many there were). A /sync reply
  // with the call filter holds 50 per room.
  std::size_t max_batch_events = 10000;
  // Call events nest at most 5 levels (event.content.sdp_stream_metadata.<id>.purpose); unknown keys get room.
  std::size_t max_depth = 64;
};

enum class ReadStatus : unsigned char {
  call_event,      // `event` holds the typed event
  not_call_event,  // well-formed, but its type is not on the call event list (a "skip")
  invalid,         // `error` says why
};

struct ReadResult {
  ReadStatus status = ReadStatus::invalid;
  std::string_view type;  // the event's type when it could be read, else empty
  RoomEvent event;        // for ReadStatus::call_event; an invalid call event still has event.event_id when readable
  FieldError error;       // meaningful only for ReadStatus::invalid
  // The first thing the lenient reader accepted that a conformant sender would not write (see --strict).
  std::optional<FieldError> leniency;
};

// Reads events with simdjson's DOM parser (see src/json_input.hpp for why). One reader per thread. Everything a result
// points at lives in the reader and stays valid until the next read_* call on it.
class EventReader {
 public:
  explicit EventReader(ReadLimits limits = {});
  ~EventReader();
  EventReader(EventReader&&) noexcept;
  EventReader& operator=(EventReader&&) noexcept;

  // One room event: a JSON object with type, sender, content, ...
  ReadResult read_event(std::string_view json);

  // A JSON array of room events, e.g. a /sync timeline. Events without room_id get `default_room_id`. Results are
  // appended to `out`, one per element, in order. Returns an error only when the batch itself is unusable (not JSON,
  // not an array, too large); each element's own problems are in its result.
  std::optional<FieldError> read_events(std::string_view json_array, std::string_view default_room_id,
                                        std::vector<ReadResult>& out);

  // The same, one result at a time: `each` sees every result as it is read (valid only during the call), so a
  // huge batch costs its parse and one result, not one result per element (mxcall validate streams this way).
  std::optional<FieldError> for_each_event(std::string_view json_array, std::string_view default_room_id,
                                           const std::function<void(const ReadResult&)>& each);

  // The same, reading `json` where it lies instead of copying it: the string gets SIMDJSON_PADDING bytes of spare
  // capacity (one reallocation at most, none when it is reused) and must stay unchanged while the results are used.
  // This is how a client reads the /sync response buffer it keeps.
  ReadResult read_event_in_place(std::string& json);
  std::optional<FieldError> read_events_in_place(std::string& json_array, std::string_view default_room_id,
                                                 std::vector<ReadResult>& out);

  const ReadLimits& limits() const { return limits_; }

 private:
  ReadResult read_padded(const char* data, std::size_t size);
  // Appends to `out` when it is set, else hands each result to `each`.
  std::optional<FieldError> read_padded_batch(const char* data, std::size_t size, std::string_view default_room_id,
                                              std::vector<ReadResult>* out,
                                              const std::function<void(const ReadResult&)>* each = nullptr);

  struct State;
  ReadLimits limits_;
  std::unique_ptr<State> state_;
};

}  // namespace mxcall::protocol
