// Generates random, sendable call contents for property tests. Strings live in the generator (stable addresses), so
// the views in the generated contents stay valid as long as it does.
#pragma once

#include <deque>
#include <random>
#include <string>

#include "mxcall/protocol/call_events.hpp"
#include "mxcall/protocol/event_types.hpp"

namespace mxcall::test {

class ContentGenerator {
 public:
  explicit ContentGenerator(std::uint32_t seed) : rng_(seed) {}

  protocol::RoomEvent event();
  protocol::CallContent content(protocol::EventKind kind);

 private:
  std::string_view keep(std::string s) { return strings_.emplace_back(std::move(s)); }
  bool coin() { return rng_() % 2 == 0; }
  std::size_t below(std::size_t n) { return rng_() % n; }
  std::string_view opaque_id();
  std::string_view user_id();
  std::string_view text(std::size_t max_len);  // any valid UTF-8, control characters and escapes included
  std::string_view sdp();
  protocol::CallCommon common();
  std::optional<protocol::StreamMetadataMap> metadata();
  std::optional<protocol::Capabilities> capabilities();
  std::optional<std::string_view> maybe(std::string_view s) { return coin() ? std::optional(s) : std::nullopt; }

  std::mt19937 rng_;
  std::deque<std::string> strings_;
};

}  // namespace mxcall::test
