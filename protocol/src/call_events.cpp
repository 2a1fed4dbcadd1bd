#include "mxcall/protocol/call_events.hpp"

#include <array>

namespace mxcall::protocol {
namespace {

constexpr std::array<std::pair<std::string_view, HangupReason>, 9> kReasonNames = {{
    {"ice_failed", HangupReason::ice_failed},
    {"ice_timeout", HangupReason::ice_timeout},
    {"invite_timeout", HangupReason::invite_timeout},
    {"user_hangup", HangupReason::user_hangup},
    {"user_media_failed", HangupReason::user_media_failed},
    {"user_busy", HangupReason::user_busy},
    {"unknown_error", HangupReason::unknown_error},
    {"replaced", HangupReason::replaced},
    {"answered_elsewhere", HangupReason::answered_elsewhere},
}};

}  // namespace

HangupReason parse_hangup_reason(std::string_view text) {
  for (const auto& [name, reason] : kReasonNames) {
    if (name == text) return reason;
  }
  return HangupReason::other;
}

std::string_view to_string(HangupReason reason) {
  for (const auto& [name, value] : kReasonNames) {
    if (value == reason) return name;
  }
  return {};
}

bool is_spec_hangup_reason(HangupReason reason) { return reason <= HangupReason::unknown_error; }

const CallCommon& common_of(const CallContent& content) {
  return std::visit([](const auto& c) -> const CallCommon& { return c.common; }, content);
}

CallCommon& common_of(CallContent& content) {
  return std::visit([](auto& c) -> CallCommon& { return c.common; }, content);
}

}  // namespace mxcall::protocol
