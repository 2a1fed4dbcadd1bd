// The Phone's call features: transfer both ways (MSC2747), asserted identity (MSC3086), the peer's capabilities and
// busy. The decisions are the router's (protocol/src/engine/call_features.cpp); here they reach the observer, and a
// transfer we accept gets its room and its media.
#include "loop.hpp"
#include "phone_core.hpp"
#include "phone_impl.hpp"

namespace mxcall {

namespace runtime {

void PhoneCore::on_feature(const protocol::CallFeature& feature) {
  auto* observer = this->observer();
  std::visit(
      [&](const auto& f) {
        using T = std::remove_cvref_t<decltype(f)>;
        if constexpr (std::is_same_v<T, PeerCapabilities>) {
          if (observer) observer->on_peer_capabilities(f);
        } else if constexpr (std::is_same_v<T, PeerIdentity>) {
          if (observer) observer->on_peer_identity(f);
        } else if constexpr (std::is_same_v<T, TransferRequest>) {
          transfer_requests_[f.call] = f;
          if (observer) observer->on_transfer_request(f);
          if (transfer_policy_ == TransferPolicy::ask) return;
          // Not from inside this drain: the decision is an action of its own, in order after this output.
          loop_.post([weak = weak_from_this(), call = f.call, id = f.replacement_id] {
            auto core = weak.lock();
            if (!core || core->stopped_) return;
            if (core->transfer_policy_ == TransferPolicy::accept) {
              core->accept_transfer(call, id, AnswerOptions{false, core->transfer_media_});
            } else {
              core->act(protocol::action::AnswerTransfer{call, id, false, {}, false});
            }
          });
        } else if constexpr (std::is_same_v<T, TransferUpdate>) {
          using enum TransferStatus;
          if (f.status == answering && f.replacement) {
            // The awaited call rang: it is answered in this same drain, with the media chosen on accepting.
            if (auto media = awaited_media_.find(f.call); media != awaited_media_.end()) {
              sessions_.choose(*f.replacement, std::move(media->second));
            }
          }
          if (f.status != placing && f.status != awaiting && f.status != sent) {
            awaited_media_.erase(f.call);  // settled, or its media is in use
          }
          if (f.status == declined || f.status == completed || f.status == failed) transfer_requests_.erase(f.call);
          if (observer) observer->on_transfer_update(f);
        }
      },
      feature);
}

void PhoneCore::accept_transfer(const CallRef& call, const std::string& replacement_id, const AnswerOptions& options) {
  if (stopped_) return;
  auto request = transfer_requests_.find(call);
  if (request == transfer_requests_.end() || request->second.replacement_id != replacement_id) {
    if (auto* observer = this->observer()) {
      observer->on_action_refused(call, "there is no transfer request with that replacement id on this call");
    }
    return;
  }
  const TransferRequest& wanted = request->second;
  std::string room;
  if (!wanted.we_place_call) {
    awaited_media_[call] = options.media;
  } else if (wanted.target_room) {
    room = *wanted.target_room;  // rule T7; matrix-js-sdk never names one
  } else if (auto found = transport_->resolve_target(*wanted.target.id); found) {
    room = *found;  // "a room of its choosing": the direct chat with the target
  } else if (auto* observer = this->observer()) {
    // The router then fails the transfer (failed_call_invite) and says why.
    observer->on_notice("no room with the transfer target " + *wanted.target.id + ": " + found.error().message);
  }
  if (!room.empty()) sessions_.choose({room, wanted.new_call_id}, options.media);
  act(protocol::action::AnswerTransfer{call, replacement_id, true, room, options.video});
}

}  // namespace runtime

Result<std::string> Phone::transfer(const CallRef& call, const TransferOptions& options) {
  std::string new_call = options.new_call_id.value_or(runtime::new_call_id());
  protocol::action::Transfer transfer{call,     options.target_user,    options.target_display_name, std::nullopt,
                                      new_call, runtime::new_call_id(), options.peer_places_call};
  impl_->on_loop([transfer = std::move(transfer)](runtime::PhoneCore& core) { core.act(transfer); });
  return new_call;
}

void Phone::accept_transfer(const CallRef& call, const std::string& replacement_id, const AnswerOptions& options) {
  impl_->on_loop([call, replacement_id, options](runtime::PhoneCore& core) {
    core.accept_transfer(call, replacement_id, options);
  });
}

void Phone::decline_transfer(const CallRef& call, const std::string& replacement_id) {
  impl_->on_loop([call, replacement_id](runtime::PhoneCore& core) {
    core.act(protocol::action::AnswerTransfer{call, replacement_id, false, {}, false});
  });
}

void Phone::assert_identity(const CallRef& call, const std::optional<Identity>& identity) {
  impl_->on_loop([call, identity](runtime::PhoneCore& core) {
    core.act(protocol::action::AssertIdentity{call, identity});
  });
}

void Phone::busy(const CallRef& call) {
  impl_->on_loop([call](runtime::PhoneCore& core) { core.act(protocol::action::Busy{call}); });
}

}  // namespace mxcall
