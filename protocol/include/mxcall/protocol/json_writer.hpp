// A small JSON writer appending to a std::string: what we send, and the tools' JSON output.
//
// Owned here rather than taken from RapidJSON because RapidJSON 1.1's Writer does pointer arithmetic on a null
// stack (UndefinedBehaviorSanitizer stops it in our sanitizer build), and the escaping a writer needs is small and
// fully covered by the round-trip property test, the spec-schema test and the fuzzer. Strings must be valid UTF-8;
// callers check (the event writer does, through check_send_rules).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mxcall::protocol {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& start_object();
  JsonWriter& end_object();
  JsonWriter& start_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view name);
  // A key known to need no escaping (the protocol's own field names): written as it is.
  JsonWriter& plain_key(std::string_view name);
  JsonWriter& string(std::string_view value);
  JsonWriter& uint(std::uint64_t value);
  JsonWriter& integer(std::int64_t value);
  JsonWriter& boolean(bool value);
  JsonWriter& null();
  // A value that is already JSON (an event content we wrote), copied as it is.
  JsonWriter& raw(std::string_view json);

  // key(name) followed by the value, for the common case.
  JsonWriter& field(std::string_view name, std::string_view value) { return key(name).string(value); }

 private:
  void before_value();
  void escaped(std::string_view value);

  std::string& out_;
  // Per open container, one bit: whether a comma is needed before its next member. Call events nest 5 levels;
  // deeper than 64 is a programming error.
  std::uint64_t has_members_ = 0;
  int depth_ = 0;
  bool after_key_ = false;
};

}  // namespace mxcall::protocol
