// The room event envelope and whole documents: one event, or a JSON array of them (a /sync timeline).
#include "mxcall/protocol/event_reader.hpp"

#include <cstring>

#include "content_reader.hpp"
#include "json_input.hpp"

namespace mxcall::protocol {

namespace dom = simdjson::dom;
using detail::JsonInput;
using detail::Path;

struct EventReader::State {
  // Depth is fixed at allocation; later documents grow the capacity and keep it.
  explicit State(const ReadLimits& limits)
      : parser(limits.max_batch_bytes), allocation(parser.allocate(4096, limits.max_depth)) {}
  dom::parser parser;
  simdjson::error_code allocation;  // a failure here is reported by the first parse
  std::vector<char> buffer;         // the input, copied with the padding simdjson reads ahead into
  JsonInput input;

  // Parses the whole document (grammar, UTF-8 and depth checked for every byte); `data` has SIMDJSON_PADDING
  // readable bytes after `size`.
  std::optional<FieldError> parse(const char* data, std::size_t size, std::size_t max_depth, dom::element& top) {
    input.reset();
    simdjson::error_code e = allocation;
    if (!e) e = parser.parse(data, size, false).get(top);
    if (e) {
      input.fail_json(Path{}, e, max_depth);
      return input.error();
    }
    return std::nullopt;
  }
};

namespace {

std::string size_reason(std::size_t size, std::size_t limit) {
  return "the document is " + std::to_string(size) + " bytes, over the " + std::to_string(limit) + "-byte limit";
}

void mark_invalid(ReadResult& result, std::string_view type, const FieldError& error) {
  result.status = ReadStatus::invalid;
  result.type = type;
  result.error = error;
}

bool read_unsigned(JsonInput& in, dom::element v, const Path& path, std::optional<std::int64_t>& age) {
  if (v.is_null()) return true;
  dom::object obj;
  if (!in.object(v, path, obj)) return false;
  dom::element value;
  if (obj.at_key("age").get(value)) return true;
  std::int64_t parsed = 0;
  if (!in.int64(value, path.child("age"), parsed)) return false;
  age = parsed;
  return true;
}

bool optional_int(JsonInput& in, dom::element v, const Path& path, std::optional<std::int64_t>& out) {
  if (v.is_null()) return true;
  std::int64_t value = 0;
  if (!in.int64(v, path, value)) return false;
  out = value;
  return true;
}

// Fills `result` in place: results are large and a batch holds hundreds of them. One pass over the envelope finds
// every field wherever it is (/sync may put `content` before `type`); the content is read once the type is known.
void read_room_event(JsonInput& in, dom::element value, std::string_view default_room_id, ReadResult& result) {
  in.reset();
  const Path root;
  dom::object obj;
  if (!in.object(value, root, obj)) return mark_invalid(result, {}, in.error());

  RoomEvent& event = result.event;
  std::optional<dom::element> type_value, content, sender, room_id, event_id, origin_server_ts, unsigned_data;
  bool duplicate_type = false;
  for (dom::key_value_pair field : obj) {
    std::string_view key = field.key;
    if (key == "type") {
      duplicate_type = type_value.has_value();
      if (duplicate_type) break;
      type_value = field.value;
    } else if (key == "content") {
      content = field.value;  // a repeated key: the last one counts, as in JavaScript
    } else if (key == "sender") {
      sender = field.value;
    } else if (key == "room_id") {
      room_id = field.value;
    } else if (key == "event_id") {
      event_id = field.value;
    } else if (key == "origin_server_ts") {
      origin_server_ts = field.value;
    } else if (key == "unsigned") {
      unsigned_data = field.value;
    }
  }
  if (duplicate_type) {
    in.fail(root.child("type"), "given twice (an event has one type)");
    return mark_invalid(result, {}, in.error());
  }
  if (!type_value) {
    in.fail(root.child("type"), "missing (every room event has one)");
    return mark_invalid(result, {}, in.error());
  }
  std::string_view type;
  if (!in.string(*type_value, root.child("type"), type)) return mark_invalid(result, {}, in.error());
  result.type = type;
  std::optional<EventKind> kind = kind_of_type(type);
  if (!kind) {
    result.status = ReadStatus::not_call_event;
    return;
  }
  event.type = type;
  // The event id first, so that even an event refused below can be named.
  if (event_id) {
    std::string_view id;
    if (event_id->get_string().get(id) == simdjson::SUCCESS) event.event_id = id;
  }
  bool ok = (!sender || in.string(*sender, root.child("sender"), event.sender)) &&
            (!room_id || in.string(*room_id, root.child("room_id"), event.room_id)) &&
            (!event_id || in.string(*event_id, root.child("event_id"), event.event_id)) &&
            (!origin_server_ts ||
             optional_int(in, *origin_server_ts, root.child("origin_server_ts"), event.origin_server_ts)) &&
            (!unsigned_data || read_unsigned(in, *unsigned_data, root.child("unsigned"), event.age_ms)) &&
            (!content || detail::read_content(in, *kind, *content, event.content));
  if (!ok) return mark_invalid(result, type, in.error());
  if (!content) {
    in.fail(root.child("content"), "missing (a call event carries its fields there)");
    return mark_invalid(result, type, in.error());
  }
  if (!sender) {
    in.fail(root.child("sender"), "missing (a call party is the pair sender, party_id)");
    return mark_invalid(result, type, in.error());
  }
  if (!room_id) event.room_id = default_room_id;
  result.status = ReadStatus::call_event;
  result.leniency = in.leniency();
}

// About the bytes `value` takes as compact JSON (numbers count 8), counted only until `stop_above` is passed: a
// batch's events have no source positions in simdjson's DOM, and string lengths dominate any large event.
std::size_t approximate_bytes(dom::element value, std::size_t stop_above) {
  dom::array items;
  dom::object fields;
  std::string_view text;
  switch (value.type()) {
    case dom::element_type::STRING: return value.get(text) == simdjson::SUCCESS ? text.size() + 2 : 2;
    case dom::element_type::ARRAY: {
      std::size_t total = 2;
      if (value.get(items) != simdjson::SUCCESS) return total;
      for (dom::element item : items) {
        total += approximate_bytes(item, stop_above) + 1;
        if (total > stop_above) break;
      }
      return total;
    }
    case dom::element_type::OBJECT: {
      std::size_t total = 2;
      if (value.get(fields) != simdjson::SUCCESS) return total;
      for (dom::key_value_pair field : fields) {
        total += field.key.size() + 4 + approximate_bytes(field.value, stop_above);
        if (total > stop_above) break;
      }
      return total;
    }
    default: return 8;
  }
}

// An event of a batch too large to read: refused alone, named by its type and id where they can be seen.
void mark_too_large(dom::element value, std::size_t limit, ReadResult& result) {
  std::string_view type, id;
  dom::object object;
  if (value.get(object) == simdjson::SUCCESS) {
    if (object["type"].get(type) != simdjson::SUCCESS) type = {};
    if (object["event_id"].get(id) != simdjson::SUCCESS) id = {};
  }
  result.event.event_id = id;
  mark_invalid(result, type,
               FieldError{"document", "the event is over the " + std::to_string(limit) +
                                          "-byte limit; it was dropped and the rest of the batch read"});
}

std::string_view padded_copy(std::vector<char>& buffer, std::string_view json) {
  if (buffer.size() < json.size() + simdjson::SIMDJSON_PADDING) buffer.resize(json.size() + simdjson::SIMDJSON_PADDING);
  if (!json.empty()) std::memcpy(buffer.data(), json.data(), json.size());
  return {buffer.data(), json.size()};
}

void make_room_for_padding(std::string& json) {
  if (json.capacity() < json.size() + simdjson::SIMDJSON_PADDING)
    json.reserve(json.size() + simdjson::SIMDJSON_PADDING);
}

}  // namespace

EventReader::EventReader(ReadLimits limits) : limits_(limits), state_(std::make_unique<State>(limits_)) {}
EventReader::~EventReader() = default;
EventReader::EventReader(EventReader&&) noexcept = default;
EventReader& EventReader::operator=(EventReader&&) noexcept = default;

ReadResult EventReader::read_padded(const char* data, std::size_t size) {
  ReadResult result;
  if (size > limits_.max_event_bytes) {
    mark_invalid(result, {}, FieldError{"document", size_reason(size, limits_.max_event_bytes)});
    return result;
  }
  dom::element top;
  if (auto error = state_->parse(data, size, limits_.max_depth, top)) {
    mark_invalid(result, {}, *error);
    return result;
  }
  read_room_event(state_->input, top, {}, result);
  return result;
}

std::optional<FieldError> EventReader::read_padded_batch(const char* data, std::size_t size,
                                                         std::string_view default_room_id, std::vector<ReadResult>* out,
                                                         const std::function<void(const ReadResult&)>* each) {
  if (size > limits_.max_batch_bytes) return FieldError{"document", size_reason(size, limits_.max_batch_bytes)};
  dom::element top;
  if (auto error = state_->parse(data, size, limits_.max_depth, top)) return error;
  dom::array events;
  if (!state_->input.array(top, Path{}, events)) return state_->input.error();
  std::size_t count = 0;
  ReadResult scratch;
  for (dom::element event : events) {
    if (count++ == limits_.max_batch_events) {
      return FieldError{"document", "the batch holds " + std::to_string(events.size()) + " events, over the " +
                                        std::to_string(limits_.max_batch_events) + "-event limit; the first " +
                                        std::to_string(limits_.max_batch_events) + " were read"};
    }
    ReadResult& result = out != nullptr ? out->emplace_back() : (scratch = ReadResult{});
    if (approximate_bytes(event, limits_.max_event_bytes) > limits_.max_event_bytes) {
      mark_too_large(event, limits_.max_event_bytes, result);
    } else {
      read_room_event(state_->input, event, default_room_id, result);
    }
    if (each != nullptr) (*each)(result);
  }
  return std::nullopt;
}

ReadResult EventReader::read_event(std::string_view json) {
  if (json.size() > limits_.max_event_bytes) return read_padded(nullptr, json.size());  // refused unread
  std::string_view copy = padded_copy(state_->buffer, json);
  return read_padded(copy.data(), copy.size());
}

ReadResult EventReader::read_event_in_place(std::string& json) {
  make_room_for_padding(json);
  return read_padded(json.data(), json.size());
}

std::optional<FieldError> EventReader::read_events(std::string_view json_array, std::string_view default_room_id,
                                                   std::vector<ReadResult>& out) {
  if (json_array.size() > limits_.max_batch_bytes) return read_padded_batch(nullptr, json_array.size(), {}, &out);
  std::string_view copy = padded_copy(state_->buffer, json_array);
  return read_padded_batch(copy.data(), copy.size(), default_room_id, &out);
}

std::optional<FieldError> EventReader::for_each_event(std::string_view json_array, std::string_view default_room_id,
                                                      const std::function<void(const ReadResult&)>& each) {
  if (json_array.size() > limits_.max_batch_bytes) return read_padded_batch(nullptr, json_array.size(), {}, nullptr);
  std::string_view copy = padded_copy(state_->buffer, json_array);
  return read_padded_batch(copy.data(), copy.size(), default_room_id, nullptr, &each);
}

std::optional<FieldError> EventReader::read_events_in_place(std::string& json_array, std::string_view default_room_id,
                                                            std::vector<ReadResult>& out) {
  make_room_for_padding(json_array);
  return read_padded_batch(json_array.data(), json_array.size(), default_room_id, &out);
}

}  // namespace mxcall::protocol
