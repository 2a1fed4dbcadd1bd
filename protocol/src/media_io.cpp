#include "mxcall/protocol/media_io.hpp"

#include <array>

namespace mxcall::protocol {

std::string_view to_string(Direction direction) {
  constexpr std::array<std::string_view, 4> kNames = {"sendrecv", "sendonly", "recvonly", "inactive"};
  return kNames[static_cast<std::size_t>(direction)];
}

std::string_view op_name(const MediaOp& op) {
  constexpr std::array<std::string_view, std::variant_size_v<MediaOp>> kNames = {
      "create_offer",  "create_answer", "set_remote",  "add_candidate", "end_of_candidates",
      "set_direction", "set_muted",     "restart_ice", "close",         "send_dtmf"};
  return kNames[op.index()];
}

std::string_view to_string(IceState state) {
  constexpr std::array<std::string_view, 5> kNames = {"checking", "connected", "disconnected", "failed", "closed"};
  return kNames[static_cast<std::size_t>(state)];
}

std::string_view to_string(MediaFailure failure) {
  constexpr std::array<std::string_view, 4> kNames = {"local_media", "remote_description", "local_description",
                                                      "internal"};
  return kNames[static_cast<std::size_t>(failure)];
}

}  // namespace mxcall::protocol
