// The call features beyond placing and answering: transfer (MSC2747, digest section 4.12, rules T1-T10), asserted
// identity (MSC3086, rules A1-A3), capabilities (MSC2747, rule T10) and busy (rule 50's user_busy). Their actions
// join engine.hpp's UserAction and their outputs arrive as one Output alternative, CallFeature.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "mxcall/protocol/call_events.hpp"
#include "mxcall/protocol/media_io.hpp"

namespace mxcall::protocol {

// Who someone on a call says they are (MSC3086): every field optional and untrusted (rule A3).
struct Identity {
  std::optional<std::string> id;
  std::optional<std::string> display_name;
  std::optional<std::string> avatar_url;
  bool operator==(const Identity&) const = default;
};

namespace action {
// Transfer the call's peer (the transferee) to `target_user` (rule T3): one m.call.replaces in the call's room. With
// `peer_places_call` the transferee places the new call `new_call_id` to the target (create_call); without it the
// transferee waits for the target to place it (await_call), and the application tells the target with a transfer
// of the target's own call (action::Transfer there with the opposite flag, as matrix-js-sdk's transferToCall does).
struct Transfer {
  CallRef call;
  std::string target_user;
  std::optional<std::string> target_display_name;
  std::optional<std::string> target_room;
  std::string new_call_id;
  std::string replacement_id;
  bool peer_places_call = true;
};
// The user's decision on a transfer the peer asked for (TransferRequested). Accepting a create_call transfer places
// the replacement call in `room_id` (the request's target_room, or a room the application chose with the target,
// rule T7); accepting an await_call transfer waits for the target's invite and answers it.
struct AnswerTransfer {
  CallRef call;
  std::string replacement_id;
  bool accept = false;
  std::string room_id;  // create_call only
  bool video = false;   // the replacement call's video, either way
};
// Tell the peer who is really on the line (rule A1); nullopt reverts to the room identity (rule A2).
struct AssertIdentity {
  CallRef call;
  std::optional<Identity> identity;
};
// Decline a ringing call as busy (rule 50): m.call.reject carrying reason user_busy to a v1 caller (matrix-js-sdk
// reports the reject's reason as its hangup reason), a user_busy hangup to a v0 caller (rule 43).
struct Busy {
  CallRef call;
};
}  // namespace action

// What the peer advertised on its invite (callee) or selected answer (caller), rule T10.
struct PeerCapabilities {
  CallRef call;
  Capabilities capabilities;
  bool operator==(const PeerCapabilities&) const = default;
};

// The peer asserted an identity (rule A1), or reverted to its own (identity nullopt, rule A2).
struct PeerIdentity {
  CallRef call;
  std::optional<Identity> identity;
  bool operator==(const PeerIdentity&) const = default;
};

// The peer asks to transfer us (rule T5 checked: an active call, the peer's own event, in the call's room). Nothing
// happens until action::AnswerTransfer; the call goes on meanwhile (rule T6).
struct TransferRequested {
  CallRef call;
  std::string replacement_id;
  Identity target;  // target_user: id always set; untrusted (rule T5)
  std::optional<std::string> target_room;
  std::string new_call_id;
  bool we_place_call = false;  // create_call: we place it; await_call: the target does
  bool operator==(const TransferRequested&) const = default;
};

// How a transfer goes, on either side.
enum class TransferStatus : std::uint8_t {
  sent,              // transferor: our m.call.replaces is out
  rejected_by_peer,  // transferor: the transferee sent m.call.reject_replacement (reason: its reason, rule T9)
  declined,          // transferee: we refused (rule T9)
  placing,           // transferee: the replacement call is placed (`replacement`)
  awaiting,          // transferee: waiting for the target's invite
  answering,         // transferee: the awaited invite came and is being answered (`replacement`)
  completed,         // transferee: the replacement connected, the original call is hung up (rule T8)
  failed,            // transferee: reject_replacement sent with `reason` (failed_call_invite, failed_call)
};
std::string_view to_string(TransferStatus status);

struct TransferUpdate {
  CallRef call;  // the original call
  std::string replacement_id;
  TransferStatus status = TransferStatus::sent;
  std::optional<CallRef> replacement;
  std::string reason;
  bool operator==(const TransferUpdate&) const = default;
};

using CallFeature = std::variant<PeerCapabilities, PeerIdentity, TransferRequested, TransferUpdate>;

}  // namespace mxcall::protocol
