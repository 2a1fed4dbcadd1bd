#include "mxcall/protocol/event_types.hpp"

#include <array>
#include <utility>

#include "mxcall/protocol/call_events.hpp"

namespace mxcall::protocol {
namespace {

constexpr std::array<std::string_view, kEventKindCount> kStableNames = {
    "m.call.invite",
    "m.call.candidates",
    "m.call.answer",
    "m.call.select_answer",
    "m.call.reject",
    "m.call.negotiate",
    "m.call.sdp_stream_metadata_changed",
    "m.call.hangup",
    "m.call.replaces",
    "m.call.reject_replacement",
    "m.call.asserted_identity",
};

// Unstable names still on the wire (digest section 8.16).
constexpr std::array<std::pair<std::string_view, EventKind>, 2> kUnstableNames = {{
    {"org.matrix.call.sdp_stream_metadata_changed", EventKind::sdp_stream_metadata_changed},
    {"org.matrix.call.asserted_identity", EventKind::asserted_identity},
}};

static_assert(std::variant_size_v<CallContent> == kEventKindCount);

}  // namespace

std::string_view type_name(EventKind kind) { return kStableNames[static_cast<std::size_t>(kind)]; }

std::optional<EventKind> kind_of_type(std::string_view type) {
  if (!type.starts_with("m.call.") && !type.starts_with("org.matrix.call.")) return std::nullopt;
  for (std::size_t i = 0; i < kStableNames.size(); ++i) {
    if (kStableNames[i] == type) return static_cast<EventKind>(i);
  }
  for (const auto& [name, kind] : kUnstableNames) {
    if (name == type) return kind;
  }
  return std::nullopt;
}

}  // namespace mxcall::protocol
