// The Phone's call features beyond placing and answering, re-exported from the protocol layer
// (mxcall/protocol/call_features.hpp): transfer (MSC2747), asserted identity (MSC3086), the peer's capabilities.
// Included by mxcall/phone.hpp; docs/runtime.md describes how they are used.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "mxcall/protocol/call_features.hpp"

namespace mxcall {

using protocol::Capabilities;      // {transferee, dtmf}: MSC2747's m.call.transferee and m.call.dtmf
using protocol::Identity;          // {id, display_name, avatar_url}, each optional and untrusted (rule A3)
using protocol::PeerCapabilities;  // what the peer's invite or selected answer advertised (rule T10)
using protocol::PeerIdentity;      // the peer asserted who is on the line; identity nullopt: reverted (rule A2)
using protocol::TransferStatus;    // sent, rejected_by_peer, declined, placing, awaiting, answering, completed, failed
using protocol::TransferUpdate;
using TransferRequest = protocol::TransferRequested;  // the peer asks to transfer us (rule T5 checked)

// What a phone does with a transfer the peer asks for (PhoneConfig::transfers).
enum class TransferPolicy : std::uint8_t {
  decline,  // refuse at once with m.call.reject_replacement (declined); m.call.transferee is not advertised
  ask,      // PhoneObserver::on_transfer_request, then Phone::accept_transfer or decline_transfer
  accept,   // accept at once (the replacement call gets PhoneConfig::transfer_media)
};

struct TransferOptions {
  std::string target_user;  // @user:server, whom the peer is transferred to
  std::optional<std::string> target_display_name;
  // true: the peer places the new call to the target (create_call, as matrix-js-sdk's transfer()); false: the peer
  // waits for the target's call (await_call), and the target is told by a transfer of our call with the target that
  // names the same new_call_id with peer_places_call = true (as matrix-js-sdk's transferToCall()).
  bool peer_places_call = true;
  std::optional<std::string> new_call_id;  // made up when not given
};

}  // namespace mxcall
