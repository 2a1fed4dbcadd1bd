// Internal: typed access to simdjson On Demand values with exact, field-naming errors. Used by the event reader only.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mxcall/protocol/event_reader.hpp"

namespace mxcall::protocol::detail {

namespace od = simdjson::ondemand;

// A JSON path built only when an error needs it: {parent, key} or {parent, index}.
struct Path {
  const Path* parent = nullptr;
  std::string_view key;
  std::size_t index = 0;
  bool is_index = false;

  Path child(std::string_view k) const { return Path{this, k, 0, false}; }
  Path element(std::size_t i) const { return Path{this, {}, i, true}; }
  std::string to_string() const;
};

// Holds the first error of one event. Every reading function returns false once an error is recorded, so callers
// simply stop.
class JsonInput {
 public:
  explicit JsonInput(std::size_t max_depth) : max_depth_(max_depth) {}

  bool failed() const { return failed_; }
  const FieldError& error() const { return error_; }
  void reset() {
    failed_ = false;
    error_ = {};
    leniency_.reset();
  }

  // Records the first place where the reader accepted something a conformant sender would not write (an empty
  // string for an absent value, null, 6e4 for an integer). Strict validation reports it; lenient reading ignores it.
  void note_leniency(const Path& path, std::string what);
  const std::optional<FieldError>& leniency() const { return leniency_; }

  bool fail(const Path& path, std::string reason);
  bool fail_json(const Path& path, simdjson::error_code code);

  // Each reader checks the JSON type first and names it in the error when it is wrong. `null` counts as absent for
  // the optional_* readers, because some senders write null where they mean "not set".
  bool string(od::value v, const Path& path, std::string_view& out);
  bool optional_string(od::value v, const Path& path, std::optional<std::string_view>& out);
  // As optional_string, but "" also reads as absent (invitee, sdpMid, party_id: see the digest's pitfalls 2 and 10).
  bool optional_nonempty_string(od::value v, const Path& path, std::optional<std::string_view>& out);
  bool boolean(od::value v, const Path& path, bool& out);
  bool duration_ms(od::value v, const Path& path, std::uint64_t& out);  // whole, non-negative milliseconds
  bool int64(od::value v, const Path& path, std::int64_t& out);
  // sdpMLineIndex: any JSON number; one that is no valid index reads as absent (noted as a leniency).
  bool index(od::value v, const Path& path, std::optional<std::uint32_t>& out);
  bool is_null(od::value v, const Path& path, bool& out);  // true (and consumed) when v is null

  // Opens an object, failing with "expected an object" otherwise.
  bool object(od::value v, const Path& path, od::object& out);
  bool array(od::value v, const Path& path, od::array& out);

  // Reads and discards any value, checking its grammar all the way down (On Demand would otherwise skip it
  // unchecked), within the depth bound.
  bool skip(od::value v, const Path& path, std::size_t depth);

  // Calls on_field(key, value) for every member; keys are unescaped, so "call\u005fid" is call_id.
  template <typename OnField>
  bool fields(od::object obj, const Path& path, OnField&& on_field) {
    for (auto member : obj) {
      od::field field;
      if (auto e = std::move(member).get(field)) return fail_json(path, e);
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) return fail_json(path, e);
      if (!on_field(key, field.value())) return false;
    }
    return true;
  }

  std::size_t max_depth() const { return max_depth_; }

 private:
  bool expect_type(od::value v, const Path& path, od::json_type wanted, std::string_view wanted_name,
                   bool null_allowed, bool& was_null);

  std::size_t max_depth_;
  bool failed_ = false;
  FieldError error_;
  std::optional<FieldError> leniency_;
};

std::string_view json_type_name(od::json_type type);

}  // namespace mxcall::protocol::detail
