#include "transfers.hpp"

#include <algorithm>

namespace mxcall::protocol::engine {

void TransferLinks::placed(std::shared_ptr<Call> original, std::shared_ptr<Call> replacement) {
  std::string id = original->received_transfer()->replacement_id;
  links_.push_back(Link{std::move(original), std::move(id), std::move(replacement), {}, {}, std::nullopt, false});
}

void TransferLinks::await(std::shared_ptr<Call> original, std::string call_id, std::string from_user,
                          std::optional<std::string> room, bool video) {
  std::string id = original->received_transfer()->replacement_id;
  links_.push_back(Link{std::move(original), std::move(id), nullptr, std::move(call_id), std::move(from_user),
                        std::move(room), video});
}

std::optional<TransferLinks::Claimed> TransferLinks::claim(const std::shared_ptr<Call>& incoming,
                                                           std::string_view sender) {
  for (Link& link : links_) {
    if (link.replacement || !still_wanted(link)) continue;
    if (link.awaited_call_id != incoming->ref().call_id || link.from_user != sender) continue;
    if (link.room && *link.room != incoming->ref().room_id) continue;
    link.replacement = incoming;
    return Claimed{link.original->ref(), link.replacement_id, link.video};
  }
  return std::nullopt;
}

bool TransferLinks::still_wanted(const Link& link) const {
  const auto& transfer = link.original->received_transfer();
  return transfer && transfer->accepted && transfer->replacement_id == link.replacement_id;
}

std::vector<std::shared_ptr<Call>> TransferLinks::check() {
  std::vector<std::shared_ptr<Call>> touched;
  std::erase_if(links_, [&](Link& link) {
    if (!still_wanted(link)) return true;  // failed by its timer (rule T7), or superseded
    if (!link.replacement) {
      // The original ended while we waited: the target's invite, if it comes, rings as a call of its own.
      if (!link.original->ended()) return false;
      link.original->transfer_failed("failed_call_invite", std::nullopt);
      touched.push_back(link.original);
      return true;
    }
    if (link.replacement->state() == CallState::connected) {
      link.original->transfer_completed(link.replacement->ref());  // rule T8
    } else if (link.replacement->ended()) {
      // The failed call's hangup reason goes along when it is one (rule T7, call_failure_reason).
      const std::string& reason = link.replacement->end_reason();
      std::optional<std::string_view> failure;
      if (parse_hangup_reason(reason) != HangupReason::other) failure = reason;
      link.original->transfer_failed("failed_call", failure);
    } else {
      return false;
    }
    touched.push_back(link.original);
    return true;
  });
  return touched;
}

}  // namespace mxcall::protocol::engine
