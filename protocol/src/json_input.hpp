// Internal: typed access to simdjson DOM values with exact, field-naming errors. Used by the event reader only.
//
// Why the DOM and not On Demand: the DOM parse validates every byte of the document (grammar, UTF-8, depth) in one
// pass at 2.7 GB/s, after which walking its tape to pick out the fields a call event has costs little. On Demand
// skips what it is not asked for without checking it, so a validating reader built on it has to walk unknown values
// itself, and it measured slower here (0.39x the DOM parse against 0.5x and more with this design; docs/codec.md).
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mxcall/protocol/event_reader.hpp"

namespace mxcall::protocol::detail {

namespace dom = simdjson::dom;

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

std::string_view json_type_name(dom::element_type type);

// Holds the first error of one event. Every reading function returns false once an error is recorded, so callers
// simply stop.
class JsonInput {
 public:
  bool failed() const { return failed_; }
  const FieldError& error() const { return error_; }
  void reset() {
    failed_ = false;
    error_ = {};
    leniency_.reset();
  }

  bool fail(const Path& path, std::string reason);
  bool fail_json(const Path& path, simdjson::error_code code, std::size_t max_depth = 0);

  // Records the first place where the reader accepted something a conformant sender would not write (an empty
  // string for an absent value, null, 6e4 for an integer). Strict validation reports it; lenient reading ignores it.
  void note_leniency(const Path& path, std::string what);
  const std::optional<FieldError>& leniency() const { return leniency_; }

  // Each reader checks the JSON type and names it in the error when it is wrong. `null` counts as absent for the
  // optional_* readers, because some senders write null where they mean "not set".
  bool string(dom::element v, const Path& path, std::string_view& out);
  bool optional_string(dom::element v, const Path& path, std::optional<std::string_view>& out);
  // As optional_string, but "" also reads as absent (invitee, sdpMid, party_id: see the digest's pitfalls 2 and 10).
  bool optional_nonempty_string(dom::element v, const Path& path, std::optional<std::string_view>& out);
  bool boolean(dom::element v, const Path& path, bool& out);
  bool duration_ms(dom::element v, const Path& path, std::uint64_t& out);  // whole, non-negative milliseconds
  bool int64(dom::element v, const Path& path, std::int64_t& out);
  // sdpMLineIndex: any JSON number; one that is no valid index reads as absent (noted as a leniency).
  bool index(dom::element v, const Path& path, std::optional<std::uint32_t>& out);
  bool object(dom::element v, const Path& path, dom::object& out);
  bool array(dom::element v, const Path& path, dom::array& out);

  // Calls on_field(key, value) for every member, in order. Keys are unescaped ("call\u005fid" is call_id).
  template <typename OnField>
  bool fields(dom::object obj, OnField&& on_field) {
    for (dom::key_value_pair member : obj) {
      if (!on_field(member.key, member.value)) return false;
    }
    return true;
  }

 private:
  bool wrong_type(dom::element v, const Path& path, std::string_view wanted);
  bool null_as_absent(dom::element v, const Path& path);  // true when v is null (noted as a leniency)

  bool failed_ = false;
  FieldError error_;
  std::optional<FieldError> leniency_;
};

}  // namespace mxcall::protocol::detail
