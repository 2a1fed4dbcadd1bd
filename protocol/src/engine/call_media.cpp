// The call's media side: descriptions and candidates going out, candidates coming in, ICE, renegotiation and timers.
#include <algorithm>

#include "call.hpp"

#include "mxcall/protocol/event_writer.hpp"

namespace mxcall::protocol::engine {

void Call::on_media(const MediaEventKind& event, Millis now) {
  if (ended()) return;
  std::visit(
      [&](const auto& e) {
        using T = std::remove_cvref_t<decltype(e)>;
        if constexpr (std::is_same_v<T, media_event::LocalDescription>) {
          on_local_description(e, now);
        } else if constexpr (std::is_same_v<T, media_event::LocalCandidate>) {
          on_local_candidate(e, now);
        } else if constexpr (std::is_same_v<T, media_event::GatheringComplete>) {
          gathering_complete_ = true;
          if (description_sent_) flush_candidates(now);  // rule 33: at once, ignoring the batching timers
        } else if constexpr (std::is_same_v<T, media_event::IceStateChanged>) {
          on_ice(e.state, now);
        } else if constexpr (std::is_same_v<T, media_event::Failed>) {
          std::string_view reason = e.failure == MediaFailure::local_media ? "user_media_failed" : "unknown_error";
          if (description_sent_) {
            hang_up_with(reason, now);
          } else if (role_ == Role::callee && peer_v1_ && !description_sent_ && state_ == CallState::create_answer) {
            // We answered but could not make the answer: the caller would otherwise wait out its lifetime.
            hang_up_with(reason, now);
          } else {
            end(reason, now);
          }
        }
      },
      event);
}

void Call::on_local_description(const media_event::LocalDescription& description, Millis now) {
  const Timeouts& t = host_.timeouts();
  const std::string sid = stream_id();
  if (role_ == Role::caller && state_ == CallState::create_offer) {
    std::optional<std::string_view> invitee;
    if (invitee_) invitee = *invitee_;
    send(Invite{our_common(), {"offer", description.sdp}, lifetime_ms_, invitee, our_metadata(sid), std::nullopt});
    invite_expiry_ = now + static_cast<Millis>(lifetime_ms_);
    set_state(CallState::invite_sent);
    return release_candidates(t.candidate_batch_caller_ms, now);
  }
  if (role_ == Role::callee && state_ == CallState::create_answer) {
    send(Answer{our_common(), {"answer", description.sdp}, our_metadata(sid), std::nullopt});
    set_state(CallState::connecting);
    return release_candidates(t.candidate_batch_callee_ms, now);
  }
  if (description.type == "offer" && making_offer_) {
    send(Negotiate{our_common(), {"offer", description.sdp}, t.negotiate_lifetime_ms, our_metadata(sid), std::nullopt});
    negotiate_expiry_ = now + static_cast<Millis>(t.negotiate_lifetime_ms);
    return;
  }
  if (description.type == "answer" && answering_remote_offer_) {
    send(
        Negotiate{our_common(), {"answer", description.sdp}, t.negotiate_lifetime_ms, our_metadata(sid), std::nullopt});
    answering_remote_offer_ = false;
    if (renegotiation_wanted_) renegotiate(now);
  }
}

// Our invite or answer is out: candidates held until now go at once if gathering is over (rule 33), else in the
// first batch (rule 31).
void Call::release_candidates(std::uint64_t batch_delay_ms, Millis now) {
  description_sent_ = true;
  if (gathering_complete_) {
    flush_candidates(now);
  } else if (!local_candidates_.empty()) {
    candidate_flush_at_ = now + static_cast<Millis>(batch_delay_ms);
  }
}

void Call::on_local_candidate(const media_event::LocalCandidate& candidate, Millis now) {
  local_candidates_.push_back(candidate);
  // Rule 29: nothing before our invite or answer is out; rule 31: then in batches.
  if (!description_sent_ || candidate_flush_at_ != kNever) return;
  const Timeouts& t = host_.timeouts();
  auto delay = role_ == Role::caller ? t.candidate_batch_caller_ms : t.candidate_batch_callee_ms;
  candidate_flush_at_ = now + static_cast<Millis>(delay);
}

void Call::flush_candidates(Millis now) {
  (void)now;
  candidate_flush_at_ = kNever;
  Candidates event{our_common(), {}};
  event.candidates.reserve(local_candidates_.size() + 1);
  for (const auto& c : local_candidates_) {
    std::optional<std::string_view> mid;
    if (c.sdp_mid) mid = *c.sdp_mid;
    event.candidates.push_back(Candidate{c.candidate, mid, c.sdp_mline_index});
  }
  if (gathering_complete_ && !end_marker_sent_) {
    event.candidates.push_back(Candidate{"", std::nullopt, std::nullopt});  // rule 32: MUST be sent
    end_marker_sent_ = true;
  }
  if (!event.candidates.empty()) send(std::move(event));
  local_candidates_.clear();
}

void Call::apply_candidates(const Candidates& candidates) {
  for (const Candidate& c : candidates.candidates) {
    if (c.is_end_of_candidates()) {
      media(media_op::EndOfRemoteCandidates{});  // a signal only, never a candidate for the ICE agent (digest 8.9)
      continue;
    }
    // Built in place: a candidate batch is the most frequent event of a call.
    media_open_ = true;
    auto& command = std::get<MediaCommand>(host_.outputs().emplace_back(std::in_place_type<MediaCommand>));
    command.call = ref_;
    auto& add = command.op.emplace<media_op::AddRemoteCandidate>();
    add.candidate.assign(c.candidate);
    if (c.sdp_mid) add.sdp_mid.emplace(*c.sdp_mid);
    add.sdp_mline_index = c.sdp_mline_index;
  }
}

void Call::queue_remote_candidates(const RoomEvent& event, const Candidates& candidates) {
  const auto& party = common_of(event.content).party_id;
  Party from{std::string(event.sender), party ? std::optional<std::string>(std::string(*party)) : std::nullopt};
  for (const Candidate& c : candidates.candidates) {
    if (c.is_end_of_candidates()) {
      // A signal only: never handed to the ICE agent as a candidate (digest 8.9).
      remote_candidates_.push_back({from, std::string(event.event_id), media_op::EndOfRemoteCandidates{}});
      continue;
    }
    std::optional<std::string> mid;
    if (c.sdp_mid) mid = std::string(*c.sdp_mid);
    remote_candidates_.push_back({from, std::string(event.event_id),
                                  media_op::AddRemoteCandidate{std::string(c.candidate), mid, c.sdp_mline_index}});
  }
}

void Call::apply_remote_candidates(const Party& party) {
  // Rule 35: only the chosen party's candidates reach the media engine; the others are dropped with it.
  std::string_view last_dropped;
  for (auto& held : remote_candidates_) {
    if (held.from.is(party.user, party.party ? std::optional<std::string_view>(*party.party) : std::nullopt)) {
      media(std::move(held.op));
    } else if (held.event_id != last_dropped) {
      last_dropped = held.event_id;
      host_.output(Ignored{ref_, held.event_id, "candidates of a party that was not selected (rule 35)"});
    }
  }
  remote_candidates_.clear();
  remote_candidates_.shrink_to_fit();
}

void Call::on_ice(IceState ice, Millis now) {
  const Timeouts& t = host_.timeouts();
  switch (ice) {
    case IceState::connected:
      media_flowed_ = true;
      ice_disconnected_ = false;
      connect_deadline_ = ice_restart_at_ = ice_hangup_at_ = kNever;
      if (state_ == CallState::connecting || state_ == CallState::create_answer) set_state(CallState::connected);
      return;
    case IceState::disconnected:
      if (state_ != CallState::connected || ice_disconnected_) return;
      ice_disconnected_ = true;
      set_state(CallState::connecting);
      if (can_renegotiate()) ice_restart_at_ = now + static_cast<Millis>(t.ice_restart_delay_ms);
      ice_hangup_at_ = now + static_cast<Millis>(t.ice_disconnected_hangup_ms);
      return;
    case IceState::failed:
      // Never connected: there is no path to restore, so fail at once. Once media flowed, try one ICE restart.
      if (media_flowed_ && can_renegotiate() && !ice_restart_tried_) {
        ice_restart_tried_ = true;
        ice_restart_at_ = kNever;
        if (ice_hangup_at_ == kNever) ice_hangup_at_ = now + static_cast<Millis>(t.ice_disconnected_hangup_ms);
        return restart_ice(now);
      }
      return hang_up_with(media_flowed_ ? "ice_timeout" : "ice_failed", now);  // rule 50
    case IceState::checking:
    case IceState::closed: return;
  }
}

void Call::restart_ice(Millis now) {
  if (!can_renegotiate()) return;
  ice_restart_pending_ = true;
  renegotiate(now);
}

void Call::renegotiate(Millis now) {
  (void)now;
  if (!can_renegotiate()) return;
  if (making_offer_ || answering_remote_offer_) {
    renegotiation_wanted_ = true;
    return;
  }
  making_offer_ = true;
  renegotiation_wanted_ = false;
  ice_restart_offer_ = ice_restart_pending_;
  if (ice_restart_pending_) {
    media(media_op::RestartIce{});
    gathering_complete_ = end_marker_sent_ = false;  // a new generation of candidates, with its own end marker
  }
  media(media_op::CreateOffer{media_, stream_id(), ice_restart_pending_});
  ice_restart_pending_ = false;
}

void Call::on_timer(Millis now) {
  if (ended()) return;
  if (invite_expiry_ <= now) {
    invite_expiry_ = kNever;
    if (role_ == Role::caller) return hang_up_with("invite_timeout", now);  // rule 28
    if (is_ringing()) return end(kEndedInviteTimeout, now);                 // rule 19: stop, send nothing
  }
  if (candidate_flush_at_ <= now) flush_candidates(now);
  if (negotiate_expiry_ <= now) {
    // Rule 55: the renegotiation failed. The media session is left with an unanswered offer, so the call cannot
    // go on in a known state; when the offer was an ICE restart, it is ICE that failed (rule 50).
    negotiate_expiry_ = kNever;
    if (ice_restart_offer_) return hang_up_with(media_flowed_ ? "ice_timeout" : "ice_failed", now);
    return hang_up_with("unknown_error", now);
  }
  if (connect_deadline_ <= now) return hang_up_with(media_flowed_ ? "ice_timeout" : "ice_failed", now);
  if (ice_hangup_at_ <= now) return hang_up_with(media_flowed_ ? "ice_timeout" : "ice_failed", now);
  if (ice_restart_at_ <= now) {
    ice_restart_at_ = kNever;
    restart_ice(now);
  }
}

Millis Call::next_deadline() const {
  if (ended()) return kNever;
  return std::min(
      {invite_expiry_, candidate_flush_at_, negotiate_expiry_, connect_deadline_, ice_restart_at_, ice_hangup_at_});
}

void Call::media(MediaOp op) {
  media_open_ = true;
  auto& command = std::get<MediaCommand>(host_.outputs().emplace_back(std::in_place_type<MediaCommand>));
  command.call = ref_;
  command.op = std::move(op);
}

void Call::send(CallContent content) {
  auto kind = static_cast<EventKind>(content.index());
  std::string json;
  // A call we answer may carry ids its caller made up outside the grammar; we echo them as they are.
  if (auto error = write_content(content, json, PeerIds::verbatim)) {
    host_.output(Ignored{ref_, {}, "could not send " + std::string(type_name(kind)) + ": " + error->to_string()});
    return;
  }
  auto& event = std::get<SendEvent>(host_.outputs().emplace_back(std::in_place_type<SendEvent>));
  event.room_id = ref_.room_id;
  event.kind = kind;
  event.content = std::move(json);
}

void Call::send_metadata_changed() {
  if (!description_sent_) return;  // the invite or answer will carry it
  const std::string sid = stream_id();
  send(SdpStreamMetadataChanged{our_common(), our_metadata(sid)});
}

StreamMetadataMap Call::our_metadata(const std::string& stream_id) const {
  return {{stream_id, StreamMetadata{kPurposeUserMedia, audio_muted_, video_muted_}}};
}

}  // namespace mxcall::protocol::engine
