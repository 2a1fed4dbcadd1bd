// A call's features beyond the call itself: transfer requests either way (MSC2747, rules T5-T10), asserted identity
// (MSC3086, rules A1-A3), the peer's capabilities (rule T10) and busy (rule 50).
#include "call.hpp"
#include "opaque_id.hpp"

namespace mxcall::protocol::engine {

namespace {

std::optional<std::string> copy(const std::optional<std::string_view>& s) {
  return s ? std::optional<std::string>(std::string(*s)) : std::nullopt;
}

}  // namespace

void Call::peer_capabilities(const std::optional<Capabilities>& capabilities) {
  peer_capabilities_ = capabilities.value_or(Capabilities{});  // absent: nothing supported (rule T10)
  feature(PeerCapabilities{ref_, peer_capabilities_});
}

void Call::do_busy() {
  if (peer_v1_) {
    send(Reject{our_common(), "user_busy"});  // rule 42, with the reason matrix-js-sdk reads
  } else {
    send(Hangup{our_common(), "user_busy", true});  // rule 43: a v0 caller knows no reject
  }
  end("user_busy");
}

void Call::on_replaces(const RoomEvent& event, const Replaces& replaces) {
  // Rule T5: only the other party of an active call, in the call's room (the router routed it by room).
  if (!opponent_chosen_ || !from_opponent(event)) {
    return ignore(event, "a transfer from someone who is not the other party of this call (rule T5)");
  }
  if (state_ != CallState::connecting && state_ != CallState::connected) {
    return ignore(event, "a transfer of a call that is not active (rule T5)");
  }
  if (received_transfer_) return ignore(event, "a transfer of this call is already awaiting a decision or under way");
  if (!is_user_id(replaces.target_user.id) || replaces.target_user.id == host_.me().user_id) {
    return ignore(event, "the transfer target is not another user's id (rule T5)");
  }
  const std::string_view new_call = replaces.create_call ? *replaces.create_call : replaces.await_call.value_or("");
  if (!is_opaque_id(new_call)) return ignore(event, "the replacement call id breaks the id grammar (rule 8)");
  // Assigned rather than emplace()d: clang decides ReceivedTransfer (a nested class with member initialisers) is not
  // default-constructible while Call is incomplete, and caches that answer.
  received_transfer_ = ReceivedTransfer{};
  ReceivedTransfer& t = *received_transfer_;
  t.replacement_id = std::string(replaces.replacement_id);
  t.target = Identity{std::string(replaces.target_user.id), copy(replaces.target_user.display_name),
                      copy(replaces.target_user.avatar_url)};
  t.target_room = copy(replaces.target_room);
  t.new_call_id = std::string(new_call);
  t.we_place_call = replaces.create_call.has_value();
  feature(TransferRequested{ref_, t.replacement_id, t.target, t.target_room, t.new_call_id, t.we_place_call});
}

void Call::decline_transfer(const action::AnswerTransfer& answer) {
  if (!received_transfer_ || received_transfer_->replacement_id != answer.replacement_id) {
    return refuse("there is no transfer request with that replacement id on this call");
  }
  if (received_transfer_->accepted) return refuse("the transfer was already accepted");
  send(RejectReplacement{our_common(), received_transfer_->replacement_id, "declined", std::nullopt});  // rule T9
  feature(TransferUpdate{ref_, received_transfer_->replacement_id, TransferStatus::declined, std::nullopt, "declined"});
  received_transfer_.reset();
}

void Call::transfer_accepted(Millis now) {
  if (!received_transfer_) return;
  received_transfer_->accepted = true;
  if (!received_transfer_->we_place_call) {
    timers_.set(Timer::transfer_await, now + static_cast<Millis>(host_.timeouts().transfer_await_ms));
  }
}

void Call::transfer_failed(std::string_view reason, std::optional<std::string_view> call_failure_reason) {
  if (!received_transfer_) return;
  timers_.stop(Timer::transfer_await);
  // Also when this call has ended meanwhile: the transferor learns why its transfer did not happen (rule T7).
  send(RejectReplacement{our_common(), received_transfer_->replacement_id, reason, call_failure_reason});
  feature(TransferUpdate{ref_, received_transfer_->replacement_id, TransferStatus::failed, std::nullopt,
                         std::string(reason)});
  received_transfer_.reset();
}

void Call::transfer_completed(const CallRef& replacement) {
  if (!received_transfer_) return;
  feature(TransferUpdate{ref_, received_transfer_->replacement_id, TransferStatus::completed, replacement, {}});
  received_transfer_.reset();
  if (ended()) return;
  send(Hangup{our_common(), "user_hangup", true});  // rule T8; a spec reason, the cause stays local
  end(kEndedTransferred);
}

void Call::start_transfer(const action::Transfer& transfer) {
  if (!can_renegotiate()) return refuse("transfer needs a set-up call with a VoIP v1 peer (rule T1)");
  if (!peer_capabilities_.transferee) return refuse("the peer does not advertise m.call.transferee (rule T10)");
  if (!sent_replacement_id_.empty()) return refuse("a transfer of this call is already under way");
  if (!is_user_id(transfer.target_user)) return refuse("the transfer target must be a user id (@user:server)");
  if (!is_opaque_id(transfer.new_call_id)) return refuse("the new call id breaks the id grammar (rule 8)");
  if (!is_opaque_id(transfer.replacement_id)) return refuse("the replacement id breaks the id grammar (rule 8)");
  Replaces replaces{our_common(), transfer.replacement_id,
                    std::nullopt, TargetUser{transfer.target_user, std::nullopt, std::nullopt},
                    std::nullopt, std::nullopt};
  if (transfer.target_room) replaces.target_room = *transfer.target_room;
  if (transfer.target_display_name) replaces.target_user.display_name = *transfer.target_display_name;
  if (transfer.peer_places_call) {
    replaces.create_call = transfer.new_call_id;
  } else {
    replaces.await_call = transfer.new_call_id;
  }
  send(replaces);  // rule T3
  sent_replacement_id_ = transfer.replacement_id;
  feature(TransferUpdate{ref_, sent_replacement_id_, TransferStatus::sent, std::nullopt, {}});
}

void Call::on_reject_replacement(const RoomEvent& event, const RejectReplacement& rejected) {
  if (!opponent_chosen_ || !from_opponent(event)) {
    return ignore(event, "a transfer refusal from someone who is not the other party of this call (rule T9)");
  }
  if (sent_replacement_id_.empty() || rejected.replacement_id != sent_replacement_id_) {
    return ignore(event, "a transfer refusal for no transfer of ours in flight (rule T9)");
  }
  std::string reason(rejected.reason);
  if (rejected.call_failure_reason) reason += " (" + std::string(*rejected.call_failure_reason) + ")";
  feature(TransferUpdate{ref_, sent_replacement_id_, TransferStatus::rejected_by_peer, std::nullopt, reason});
  sent_replacement_id_.clear();
}

void Call::on_asserted_identity(const RoomEvent& event, const AssertedIdentity& asserted) {
  if (!opponent_chosen_ || !from_opponent(event)) {
    return ignore(event, "an asserted identity from someone who is not the other party of this call (rule A3)");
  }
  std::optional<Identity> identity;
  if (const auto& info = asserted.asserted_identity; info && (info->id || info->display_name || info->avatar_url)) {
    identity = Identity{copy(info->id), copy(info->display_name), copy(info->avatar_url)};
  }
  feature(PeerIdentity{ref_, std::move(identity)});  // nullopt: null or {} reverts (rule A2)
}

void Call::assert_identity(const action::AssertIdentity& assert) {
  if (state_ != CallState::invite_sent && state_ != CallState::connecting && state_ != CallState::connected) {
    return refuse("an identity is asserted on a placed or answered call (rule A1)");
  }
  AssertedIdentity content{our_common(), std::nullopt};
  if (assert.identity) {
    auto view = [](const std::optional<std::string>& s) {
      return s ? std::optional<std::string_view>(*s) : std::nullopt;
    };
    content.asserted_identity = AssertedIdentityInfo{view(assert.identity->id), view(assert.identity->display_name),
                                                     view(assert.identity->avatar_url)};
  }
  send(content);
}

}  // namespace mxcall::protocol::engine

namespace mxcall::protocol {

std::string_view to_string(TransferStatus status) {
  switch (status) {
    case TransferStatus::sent: return "sent";
    case TransferStatus::rejected_by_peer: return "rejected_by_peer";
    case TransferStatus::declined: return "declined";
    case TransferStatus::placing: return "placing";
    case TransferStatus::awaiting: return "awaiting";
    case TransferStatus::answering: return "answering";
    case TransferStatus::completed: return "completed";
    case TransferStatus::failed: return "failed";
  }
  return "unknown";
}

}  // namespace mxcall::protocol
