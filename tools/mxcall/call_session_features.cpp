// CallSession's part of the call features: the peer's capabilities and asserted identity shown, transfers the peer
// asks for decided (--allow-transfer, the terminal, or declined) and followed, our asserted identity sent.
#include "call_session.hpp"

namespace mxcall::tools {

namespace {

constexpr std::chrono::seconds kTransferQuestionLimit{30};

std::string_view policy_name(TransferPolicy policy) {
  switch (policy) {
    case TransferPolicy::decline: return "decline";
    case TransferPolicy::ask: return "ask";
    case TransferPolicy::accept: return "accept";
  }
  return "decline";
}

}  // namespace

void CallSession::on_peer_capabilities(const PeerCapabilities& c) {
  std::string can = c.capabilities.transferee && c.capabilities.dtmf ? "can be transferred and shows DTMF"
                    : c.capabilities.transferee                      ? "can be transferred"
                    : c.capabilities.dtmf                            ? "shows DTMF"
                                                                     : "advertises neither transfer nor DTMF";
  out_.fact("peer_capabilities",
            {{"call_id", c.call.call_id},
             {"room_id", c.call.room_id},
             {"transferee", c.capabilities.transferee},
             {"dtmf", c.capabilities.dtmf}},
            "the peer " + can + " (MSC2747 capabilities)");
}

void CallSession::on_peer_identity(const PeerIdentity& p) {
  std::vector<Field> fields{{"call_id", p.call.call_id}, {"room_id", p.call.room_id}};
  if (!p.identity) {
    fields.push_back({"reverted", true});
    out_.fact("peer_identity", fields, "the peer no longer asserts another identity");
    return;
  }
  if (p.identity->id) fields.push_back({"id", *p.identity->id});
  if (p.identity->display_name) fields.push_back({"display_name", *p.identity->display_name});
  if (p.identity->avatar_url) fields.push_back({"avatar_url", *p.identity->avatar_url});
  // Rule A3: as trustworthy as the peer, so shown as its claim.
  out_.fact("peer_identity", fields,
            "the peer says the call is now with " + describe_identity(*p.identity) + " (unverified)");
}

void CallSession::on_transfer_request(const TransferRequest& r) {
  std::string target = describe_identity(r.target);
  std::string text = "the peer asks to transfer this call to " + target;
  if (features_.transfers == TransferPolicy::accept) text += ": accepting (--allow-transfer)";
  if (features_.transfers == TransferPolicy::decline)
    text += ": declining (no terminal to ask; --allow-transfer accepts)";
  if (features_.transfers == TransferPolicy::ask) {
    text +=
        ". Accept? type y and Enter (no answer in " + std::to_string(kTransferQuestionLimit.count()) + " s declines)";
  }
  std::vector<Field> fields{{"call_id", r.call.call_id},
                            {"room_id", r.call.room_id},
                            {"replacement_id", r.replacement_id},
                            {"target_user", *r.target.id},
                            {"new_call_id", r.new_call_id},
                            {"we_place_call", r.we_place_call},
                            {"policy", std::string(policy_name(features_.transfers))}};
  if (r.target.display_name) fields.push_back({"target_display_name", *r.target.display_name});
  out_.fact("transfer_request", fields, text);
  transfer_targets_[r.call] = *r.target.id;
  if (features_.transfers != TransferPolicy::ask || phone_ == nullptr) return;
  if (!question_) question_ = std::make_unique<TerminalQuestion>(runtime_);
  question_->ask(kTransferQuestionLimit, [this, call = r.call, id = r.replacement_id](bool yes) {
    if (phone_ == nullptr || finishing()) return;
    out_.fact("transfer_answer", {{"call_id", call.call_id}, {"accepted", yes}},
              yes ? "accepting the transfer" : "declining the transfer");
    if (yes) {
      phone_->accept_transfer(call, id, replacement_media());
    } else {
      phone_->decline_transfer(call, id);
    }
  });
}

void CallSession::on_transfer_update(const TransferUpdate& u) {
  std::vector<Field> fields{{"call_id", u.call.call_id},
                            {"room_id", u.call.room_id},
                            {"replacement_id", u.replacement_id},
                            {"status", std::string(to_string(u.status))}};
  if (u.replacement) fields.push_back({"replacement_call_id", u.replacement->call_id});
  if (!u.reason.empty()) fields.push_back({"reason", u.reason});
  std::string text = "transfer " + std::string(to_string(u.status));
  if (u.replacement) text += ": call " + u.replacement->call_id + " in " + u.replacement->room_id;
  if (!u.reason.empty()) text += " (" + u.reason + ")";
  out_.fact("transfer", fields, text);
  if (u.replacement && u.status == TransferStatus::answering) replacements_.insert(*u.replacement);
  if (u.replacement && u.status == TransferStatus::placing) {
    CallView& placed = track(*u.replacement, "?", true, false);
    placed.outgoing = true;  // placed by the phone itself, from the answering side too
    if (auto target = transfer_targets_.find(u.call); target != transfer_targets_.end()) placed.peer = target->second;
  }
  if (u.replacement && u.status == TransferStatus::completed) {
    if (CallView* original = find(u.call)) transferred(*original, *u.replacement);
  }
  if (u.status != TransferStatus::placing && u.status != TransferStatus::awaiting &&
      u.status != TransferStatus::answering && u.status != TransferStatus::sent) {
    transfer_targets_.erase(u.call);  // settled
  }
  transfer_update(u);
}

void CallSession::assert_identity_once(const CallView& call) {
  if (!features_.identity || phone_ == nullptr || !identity_asserted_.insert(call.ref).second) return;
  phone_->assert_identity(call.ref, features_.identity);
  out_.fact("identity_asserted", {{"call_id", call.ref.call_id}, {"display_name", *features_.identity->display_name}},
            "told the peer this call is with " + describe_identity(*features_.identity) + " (MSC3086)");
}

}  // namespace mxcall::tools
