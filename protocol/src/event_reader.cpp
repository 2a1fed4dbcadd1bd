// The room event envelope and whole documents: one event, or a JSON array of them (a /sync timeline).
#include "mxcall/protocol/event_reader.hpp"

#include <cstring>

#include "content_reader.hpp"
#include "json_input.hpp"

namespace mxcall::protocol {

using detail::JsonInput;
namespace od = simdjson::ondemand;
using detail::Path;

struct EventReader::State {
  explicit State(const ReadLimits& limits) : parser(limits.max_batch_bytes), input(limits.max_depth) {}
  od::parser parser;
  std::vector<char> buffer;  // the input, copied with the padding simdjson reads ahead into
  JsonInput input;
};

namespace {

std::string size_reason(std::size_t size, std::size_t limit) {
  return "the document is " + std::to_string(size) + " bytes, over the " + std::to_string(limit) + "-byte limit";
}

ReadResult invalid(std::string_view type, const FieldError& error) {
  ReadResult result;
  result.status = ReadStatus::invalid;
  result.type = type;
  result.error = error;
  return result;
}

// Finds the event's `type` first: /sync may put `content` before it, and the content cannot be read without it.
bool find_type(JsonInput& in, od::object& obj, const Path& root, std::string_view& type, bool& found) {
  found = false;
  od::value v;
  auto e = obj.find_field_unordered("type").get(v);
  if (e == simdjson::SUCCESS) {
    found = true;
    return in.string(v, root.child("type"), type);
  }
  if (e != simdjson::NO_SUCH_FIELD) return in.fail_json(root, e);
  // The key may be spelled with escapes ("typ\u0065"), which find_field_unordered does not unescape.
  if (auto r = obj.reset().error()) return in.fail_json(root, r);
  return in.fields(obj, root, [&](std::string_view key, od::value child) {
    if (key == "type" && !found) {
      found = true;
      return in.string(child, root.child(key), type);
    }
    return in.skip(child, root.child(key), 1);
  });
}

bool read_unsigned(JsonInput& in, od::value v, const Path& path, std::optional<std::int64_t>& age) {
  bool is_null = false;
  if (!in.is_null(v, path, is_null)) return false;
  if (is_null) return true;
  od::object obj;
  if (!in.object(v, path, obj)) return false;
  return in.fields(obj, path, [&](std::string_view key, od::value child) {
    if (key != "age") return in.skip(child, path.child(key), 2);
    std::int64_t value = 0;
    if (!in.int64(child, path.child(key), value)) return false;
    age = value;
    return true;
  });
}

bool optional_int(JsonInput& in, od::value v, const Path& path, std::optional<std::int64_t>& out) {
  bool is_null = false;
  if (!in.is_null(v, path, is_null)) return false;
  if (is_null) return true;
  std::int64_t value = 0;
  if (!in.int64(v, path, value)) return false;
  out = value;
  return true;
}

ReadResult read_room_event(JsonInput& in, od::value value, std::string_view default_room_id) {
  in.reset();
  const Path root;
  od::object obj;
  if (!in.object(value, root, obj)) return invalid({}, in.error());

  std::string_view type;
  bool has_type = false;
  if (!find_type(in, obj, root, type, has_type)) return invalid(type, in.error());
  if (!has_type) {
    in.fail(root.child("type"), "missing (every room event has one)");
    return invalid({}, in.error());
  }
  if (auto e = obj.reset().error()) {
    in.fail_json(root, e);
    return invalid(type, in.error());
  }

  std::optional<EventKind> kind = kind_of_type(type);
  ReadResult result;
  result.type = type;
  RoomEvent& event = result.event;
  event.type = type;
  bool has_content = false, has_sender = false, has_room = false;

  bool ok = in.fields(obj, root, [&](std::string_view key, od::value child) {
    const Path path = root.child(key);
    if (key == "type") {
      std::string_view again;
      if (!in.string(child, path, again)) return false;
      return again == type || in.fail(path, "given twice with different values");
    }
    if (!kind) return in.skip(child, path, 1);  // not a call event: check its JSON, read nothing
    if (key == "content") {
      has_content = true;
      return detail::read_content(in, *kind, child, event.content);
    }
    if (key == "sender") return has_sender = true, in.string(child, path, event.sender);
    if (key == "room_id") return has_room = true, in.string(child, path, event.room_id);
    if (key == "event_id") return in.string(child, path, event.event_id);
    if (key == "origin_server_ts") return optional_int(in, child, path, event.origin_server_ts);
    if (key == "unsigned") return read_unsigned(in, child, path, event.age_ms);
    return in.skip(child, path, 1);
  });
  if (!ok) return invalid(type, in.error());
  if (!kind) {
    result.status = ReadStatus::not_call_event;
    return result;
  }
  if (!has_content) {
    in.fail(root.child("content"), "missing (a call event carries its fields there)");
    return invalid(type, in.error());
  }
  if (!has_sender) {
    in.fail(root.child("sender"), "missing (a call party is the pair sender, party_id)");
    return invalid(type, in.error());
  }
  if (!has_room) event.room_id = default_room_id;
  result.status = ReadStatus::call_event;
  result.leniency = in.leniency();
  return result;
}

}  // namespace

EventReader::EventReader(ReadLimits limits) : limits_(limits), state_(std::make_unique<State>(limits_)) {}
EventReader::~EventReader() = default;
EventReader::EventReader(EventReader&&) noexcept = default;
EventReader& EventReader::operator=(EventReader&&) noexcept = default;

namespace {

// A document that is a lone scalar: either broken JSON ("not json") or valid JSON that is no event ("42").
FieldError scalar_document_error(JsonInput& in, od::document& doc) {
  const Path root;
  od::json_type type;
  simdjson::error_code e = doc.type().get(type);
  if (!e) {
    switch (type) {
      case od::json_type::null: {
        bool is_null = false;
        e = doc.is_null().get(is_null);
        if (!e && !is_null) e = simdjson::N_ATOM_ERROR;
        break;
      }
      case od::json_type::boolean: e = doc.get_bool().error(); break;
      case od::json_type::number: e = doc.get_number().error(); break;
      case od::json_type::string: e = doc.get_string().error(); break;
      default: break;
    }
  }
  const char* rest = nullptr;
  if (!e && doc.current_location().get(rest) != simdjson::OUT_OF_BOUNDS) e = simdjson::TAPE_ERROR;
  if (e) {
    in.fail_json(root, e);
  } else {
    in.fail(root, "expected an object, got " + std::string(detail::json_type_name(type)));
  }
  return in.error();
}

// Copies `json` into the padded buffer (simdjson reads up to SIMDJSON_PADDING bytes past the end) and opens its
// top-level value.
std::optional<FieldError> open_document(std::vector<char>& buffer, od::parser& parser, JsonInput& in,
                                        std::string_view json, od::document& doc, od::value& top) {
  const Path root;
  if (buffer.size() < json.size() + simdjson::SIMDJSON_PADDING) buffer.resize(json.size() + simdjson::SIMDJSON_PADDING);
  if (!json.empty()) std::memcpy(buffer.data(), json.data(), json.size());
  in.reset();
  if (auto e = parser.iterate(buffer.data(), json.size(), buffer.size()).get(doc)) {
    in.fail_json(root, e);
    return in.error();
  }
  auto e = doc.get_value().get(top);
  if (e == simdjson::SCALAR_DOCUMENT_AS_VALUE) return scalar_document_error(in, doc);
  if (e) {
    in.fail_json(root, e);
    return in.error();
  }
  return std::nullopt;
}

}  // namespace

ReadResult EventReader::read_event(std::string_view json) {
  if (json.size() > limits_.max_event_bytes) {
    return invalid({}, FieldError{"document", size_reason(json.size(), limits_.max_event_bytes)});
  }
  State& s = *state_;
  od::document doc;
  od::value value;
  if (auto error = open_document(s.buffer, s.parser, s.input, json, doc, value)) return invalid({}, *error);
  ReadResult result = read_room_event(s.input, value, {});
  if (result.status == ReadStatus::invalid) return result;
  // On Demand stops at the end of the first value; anything after it means the text was not one JSON document.
  const char* rest = nullptr;
  if (doc.current_location().get(rest) != simdjson::OUT_OF_BOUNDS) {
    return invalid(result.type, FieldError{"document", "not valid JSON (trailing content after the event)"});
  }
  return result;
}

std::optional<FieldError> EventReader::read_events(std::string_view json_array, std::string_view default_room_id,
                                                   std::vector<ReadResult>& out) {
  const Path root;
  if (json_array.size() > limits_.max_batch_bytes) {
    return FieldError{"document", size_reason(json_array.size(), limits_.max_batch_bytes)};
  }
  State& s = *state_;
  od::document doc;
  od::value top;
  if (auto error = open_document(s.buffer, s.parser, s.input, json_array, doc, top)) return error;
  od::array events;
  if (!s.input.array(top, root, events)) return s.input.error();
  std::size_t index = 0;
  for (auto element : events) {
    od::value value;
    if (auto e = std::move(element).get(value)) {
      s.input.reset();
      s.input.fail_json(root.element(index), e);
      return s.input.error();
    }
    out.push_back(read_room_event(s.input, value, default_room_id));
    ++index;
  }
  const char* rest = nullptr;
  if (doc.current_location().get(rest) != simdjson::OUT_OF_BOUNDS) {
    return FieldError{"document", "not valid JSON (trailing content after the array)"};
  }
  return std::nullopt;
}

}  // namespace mxcall::protocol
