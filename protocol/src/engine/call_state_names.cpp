// The wire-and-log names of the call states (CallState), shared by the CLI, the replay scripts and the runtime.
#include "mxcall/protocol/engine.hpp"

namespace mxcall::protocol {

std::string_view to_string(CallState state) {
  switch (state) {
    case CallState::create_offer: return "create_offer";
    case CallState::invite_sent: return "invite_sent";
    case CallState::ringing: return "ringing";
    case CallState::ringing_silent: return "ringing_silent";
    case CallState::create_answer: return "create_answer";
    case CallState::connecting: return "connecting";
    case CallState::connected: return "connected";
    case CallState::ended: return "ended";
  }
  return "unknown";
}

}  // namespace mxcall::protocol
