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
#include <vector>

namespace mxcall::protocol {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& start_object();
  JsonWriter& end_object();
  JsonWriter& start_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view name);
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
  std::vector<bool> has_members_;  // per open container: whether a comma is needed before the next member
  bool after_key_ = false;
};

}  // namespace mxcall::protocol
