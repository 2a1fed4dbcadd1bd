// The exact list of event types that carry 1:1 call signalling. Dispatch is on this list, never on the "m.call"
// prefix: m.call, m.call.member, m.call.notify and m.call.intent are MatrixRTC and group-call events.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace mxcall::protocol {

// One value per CallContent alternative, in the same order (kind == content.index()).
enum class EventKind : std::uint8_t {
  invite,
  candidates,
  answer,
  select_answer,
  reject,
  negotiate,
  sdp_stream_metadata_changed,
  hangup,
  replaces,
  reject_replacement,
  asserted_identity,
};
inline constexpr std::size_t kEventKindCount = 11;

// The stable type name we send for a kind.
std::string_view type_name(EventKind kind);

// The kind for a received type name, stable or unstable alias; nullopt for every other type.
std::optional<EventKind> kind_of_type(std::string_view type);

}  // namespace mxcall::protocol
