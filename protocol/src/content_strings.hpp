// Internal: visits every string of a call content with its field name. Used to check UTF-8 before writing and by owners
// that copy a received event out of the reader's buffers (for_each_string with a non-const content can re-point views).
#pragma once

#include <string_view>
#include <type_traits>

#include "mxcall/protocol/call_events.hpp"

namespace mxcall::protocol {

namespace detail {

template <typename S, typename F>
void visit_optional(std::string_view name, S& opt, F& f) {
  if (opt) f(name, *opt);
}

template <typename Map, typename F>
void visit_metadata(std::string_view name, Map& map, F& f) {
  for (auto& [stream_id, meta] : map) {
    f(name, stream_id);
    f(name, meta.purpose);
  }
}

template <typename Meta, typename F>
void visit_optional_metadata(std::string_view name, Meta& meta, F& f) {
  if (meta) visit_metadata(name, *meta, f);
}

}  // namespace detail

// f(std::string_view field_name, [const] std::string_view& value) for every string field.
template <typename Content, typename F>
requires std::is_same_v<std::remove_const_t<Content>, CallContent>
void for_each_string(Content& content, F&& f) {
  std::visit(
      [&](auto& c) {
        using T = std::remove_cvref_t<decltype(c)>;
        f("call_id", c.common.call_id);
        detail::visit_optional("party_id", c.common.party_id, f);
        f("version", c.common.version.text);
        if constexpr (std::is_same_v<T, Invite>) {
          f("offer.type", c.offer.type);
          f("offer.sdp", c.offer.sdp);
          detail::visit_optional("invitee", c.invitee, f);
          detail::visit_optional_metadata("sdp_stream_metadata", c.sdp_stream_metadata, f);
        } else if constexpr (std::is_same_v<T, Candidates>) {
          for (auto& candidate : c.candidates) {
            f("candidates.candidate", candidate.candidate);
            detail::visit_optional("candidates.sdpMid", candidate.sdp_mid, f);
          }
        } else if constexpr (std::is_same_v<T, Answer>) {
          f("answer.type", c.answer.type);
          f("answer.sdp", c.answer.sdp);
          detail::visit_optional_metadata("sdp_stream_metadata", c.sdp_stream_metadata, f);
        } else if constexpr (std::is_same_v<T, SelectAnswer>) {
          f("selected_party_id", c.selected_party_id);
        } else if constexpr (std::is_same_v<T, Reject>) {
          detail::visit_optional("reason", c.reason, f);
        } else if constexpr (std::is_same_v<T, Negotiate>) {
          f("description.type", c.description.type);
          f("description.sdp", c.description.sdp);
          detail::visit_optional_metadata("sdp_stream_metadata", c.sdp_stream_metadata, f);
        } else if constexpr (std::is_same_v<T, SdpStreamMetadataChanged>) {
          detail::visit_metadata("sdp_stream_metadata", c.sdp_stream_metadata, f);
        } else if constexpr (std::is_same_v<T, Hangup>) {
          f("reason", c.reason_text);
        } else if constexpr (std::is_same_v<T, Replaces>) {
          f("replacement_id", c.replacement_id);
          detail::visit_optional("target_room", c.target_room, f);
          f("target_user.id", c.target_user.id);
          detail::visit_optional("target_user.display_name", c.target_user.display_name, f);
          detail::visit_optional("target_user.avatar_url", c.target_user.avatar_url, f);
          detail::visit_optional("create_call", c.create_call, f);
          detail::visit_optional("await_call", c.await_call, f);
        } else if constexpr (std::is_same_v<T, RejectReplacement>) {
          f("replacement_id", c.replacement_id);
          f("reason", c.reason);
          detail::visit_optional("call_failure_reason", c.call_failure_reason, f);
        } else if constexpr (std::is_same_v<T, AssertedIdentity>) {
          if (c.asserted_identity) {
            detail::visit_optional("asserted_identity.id", c.asserted_identity->id, f);
            detail::visit_optional("asserted_identity.display_name", c.asserted_identity->display_name, f);
            detail::visit_optional("asserted_identity.avatar_url", c.asserted_identity->avatar_url, f);
          }
        }
      },
      content);
}

}  // namespace mxcall::protocol
