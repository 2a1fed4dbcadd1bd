// Internal: readers for the values call events share (version, session description, stream metadata, candidates,
// MSC2747/MSC3086 objects), and the bookkeeping of required fields. Used by content_reader.cpp only.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "json_input.hpp"
#include "mxcall/protocol/call_events.hpp"

namespace mxcall::protocol::detail {

// A field an object must have, and why (the error says "missing (why)").
struct RequiredField {
  std::string_view name;
  std::string_view why;
};

// Which of an object's required fields were seen: mark every key as it is read, check once at the end.
template <std::size_t N>
class RequiredFields {
 public:
  explicit constexpr RequiredFields(std::array<RequiredField, N> fields) : fields_(fields) {}

  void saw(std::string_view key) {
    for (std::size_t i = 0; i < N; ++i) seen_[i] = seen_[i] || key == fields_[i].name;
  }
  // Fails on the first required field, in declaration order, that was not seen.
  bool check(JsonInput& in, const Path& path) const {
    for (std::size_t i = 0; i < N; ++i) {
      if (!seen_[i]) return in.fail(path.child(fields_[i].name), "missing (" + std::string(fields_[i].why) + ")");
    }
    return true;
  }

 private:
  std::array<RequiredField, N> fields_;
  std::array<bool, N> seen_{};
};
template <std::size_t N>
RequiredFields(std::array<RequiredField, N>) -> RequiredFields<N>;

// Reads an object's members through on_field(key, value), then checks that every required field was there.
template <std::size_t N, typename OnField>
bool read_object(JsonInput& in, dom::object obj, const Path& path, RequiredFields<N> required, OnField&& on_field) {
  if (!in.fields(obj, [&](std::string_view key, dom::element v) {
        required.saw(key);
        return on_field(key, v);
      })) {
    return false;
  }
  return required.check(in, path);
}

bool read_version(JsonInput& in, dom::element v, const Path& path, Version& out);
bool read_description(JsonInput& in, dom::element v, const Path& path, SessionDescription& out);
bool read_capabilities(JsonInput& in, dom::element v, const Path& path, std::optional<Capabilities>& out);
bool read_candidates_array(JsonInput& in, dom::element v, const Path& path, std::vector<Candidate>& out);
bool read_target_user(JsonInput& in, dom::element v, const Path& path, TargetUser& out);
bool read_identity(JsonInput& in, dom::element v, const Path& path, std::optional<AssertedIdentityInfo>& out);

// Stream metadata under its stable key or MSC3077's unstable one (mautrix-go sends only that); the stable one wins.
class MetadataFields {
 public:
  // Reads `key` when it is one of the two metadata keys; `handled` says whether it was.
  bool read(JsonInput& in, std::string_view key, dom::element v, const Path& path, bool& handled);
  std::optional<StreamMetadataMap> take() { return stable_ ? std::move(stable_) : std::move(unstable_); }

 private:
  std::optional<StreamMetadataMap> stable_;
  std::optional<StreamMetadataMap> unstable_;
};

inline constexpr std::string_view kStableMetadataKey = "sdp_stream_metadata";
inline constexpr std::string_view kUnstableMetadataKey = "org.matrix.msc3077.sdp_stream_metadata";

}  // namespace mxcall::protocol::detail
