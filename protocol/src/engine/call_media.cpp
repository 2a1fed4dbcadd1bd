// The call's media side: descriptions and candidates going out, candidates coming in, ICE, renegotiation and timers.
#include <algorithm>

#include "call.hpp"

#include "mxcall/protocol/event_writer.hpp"
#include "mxcall/protocol/overloaded.hpp"

namespace mxcall::protocol::engine {

void Call::on_media(const MediaEventKind& event, Millis now) {
  if (ended()) return;
  std::visit(Overloaded{
                 [&](const media_event::LocalDescription& e) { on_local_description(e, now); },
                 [&](const media_event::LocalCandidate& e) { on_local_candidate(e, now); },
                 [&](const media_event::GatheringComplete&) {
                   local_.gathering_complete = true;
                   if (local_.description_sent) flush_candidates();  // rule 33: at once, ignoring the batch timers
                 },
                 [&](const media_event::IceStateChanged& e) { on_ice(e.state, now); },
                 [&](const media_event::Failed& e) { on_media_failed(e.failure); },
                 [&](const media_event::DtmfReceived& e) { on_dtmf(e); },
                 [&](const media_event::RemoteScreenshare& e) {
                   host_.output(PeerScreenshare{ref_, e.stream_id, e.active});
                 },
             },
             event);
}

void Call::on_media_failed(MediaFailure failure) {
  std::string_view reason = failure == MediaFailure::local_media ? "user_media_failed" : "unknown_error";
  if (local_.description_sent) return hang_up_with(reason);
  // We answered but could not make the answer: the caller would otherwise wait out its lifetime.
  if (role_ == Role::callee && peer_v1_ && state_ == CallState::create_answer) return hang_up_with(reason);
  end(reason);
}

void Call::on_local_description(const media_event::LocalDescription& description, Millis now) {
  const Timeouts& t = host_.timeouts();
  const std::string sid = stream_id();
  if (role_ == Role::caller && state_ == CallState::create_offer) {
    std::optional<std::string_view> invitee;
    if (invitee_) invitee = *invitee_;
    // Rule T10: capabilities on invite and answer.
    send(Invite{
        our_common(), {"offer", description.sdp}, lifetime_ms_, invitee, our_metadata(sid), host_.me().capabilities});
    timers_.set(Timer::invite_expiry, now + static_cast<Millis>(lifetime_ms_));
    set_state(CallState::invite_sent);
    return release_candidates(now);
  }
  if (role_ == Role::callee && state_ == CallState::create_answer) {
    send(Answer{our_common(), {"answer", description.sdp}, our_metadata(sid), host_.me().capabilities});
    set_state(CallState::connecting);
    return release_candidates(now);
  }
  if (description.type == "offer" && negotiation_.making_offer) {
    send(Negotiate{our_common(), {"offer", description.sdp}, t.negotiate_lifetime_ms, our_metadata(sid), std::nullopt});
    timers_.set(Timer::negotiate_expiry, now + static_cast<Millis>(t.negotiate_lifetime_ms));
    return;
  }
  if (description.type == "answer" && negotiation_.answering_remote_offer) {
    send(
        Negotiate{our_common(), {"answer", description.sdp}, t.negotiate_lifetime_ms, our_metadata(sid), std::nullopt});
    negotiation_.answering_remote_offer = false;
    if (negotiation_.wanted) renegotiate();
  }
}

// Our invite or answer is out: candidates held until now go at once if gathering is over (rule 33), else in the
// first batch (rule 31).
void Call::release_candidates(Millis now) {
  local_.description_sent = true;
  if (local_.gathering_complete) {
    flush_candidates();
  } else if (!local_.held.empty()) {
    timers_.set(Timer::candidate_flush, now + static_cast<Millis>(candidate_batch_delay_ms()));
  }
}

void Call::on_local_candidate(const media_event::LocalCandidate& candidate, Millis now) {
  local_.held.push_back(candidate);
  // Rule 29: nothing before our invite or answer is out; rule 31: then in batches.
  if (!local_.description_sent || timers_.is_set(Timer::candidate_flush)) return;
  timers_.set(Timer::candidate_flush, now + static_cast<Millis>(candidate_batch_delay_ms()));
}

void Call::flush_candidates() {
  timers_.stop(Timer::candidate_flush);
  Candidates event{our_common(), {}};
  event.candidates.reserve(local_.held.size() + 1);
  for (const auto& c : local_.held) {
    std::optional<std::string_view> mid;
    if (c.sdp_mid) mid = *c.sdp_mid;
    event.candidates.push_back(Candidate{c.candidate, mid, c.sdp_mline_index});
  }
  if (local_.gathering_complete && !local_.end_marker_sent) {
    event.candidates.push_back(Candidate{"", std::nullopt, std::nullopt});  // rule 32: MUST be sent
    local_.end_marker_sent = true;
  }
  if (!event.candidates.empty()) send(std::move(event));
  local_.held.clear();
}

void Call::apply_candidates(const Candidates& candidates, std::string_view event_id) {
  for (const Candidate& c : candidates.candidates) {
    if (c.is_end_of_candidates()) {
      media(media_op::EndOfRemoteCandidates{});  // a signal only, never a candidate for the ICE agent (digest 8.9)
      continue;
    }
    if (remote_candidates_applied_ >= host_.timeouts().limits.max_remote_candidates_per_call) {
      host_.output(Ignored{ref_, std::string(event_id),
                           "the call has its maximum of remote candidates "
                           "(Limits::max_remote_candidates_per_call); the rest were dropped"});
      return;
    }
    ++remote_candidates_applied_;
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
      remote_.held.push_back({from, std::string(event.event_id), media_op::EndOfRemoteCandidates{}});
      continue;
    }
    std::optional<std::string> mid;
    if (c.sdp_mid) mid = std::string(*c.sdp_mid);
    remote_.held.push_back({from, std::string(event.event_id),
                            media_op::AddRemoteCandidate{std::string(c.candidate), mid, c.sdp_mline_index}});
  }
}

void Call::apply_remote_candidates(const Party& party) {
  // Rule 35: only the chosen party's candidates reach the media engine; the others are dropped with it.
  std::string_view last_dropped;
  for (auto& held : remote_.held) {
    if (held.from.is(party.user, party.party ? std::optional<std::string_view>(*party.party) : std::nullopt)) {
      bool candidate = std::holds_alternative<media_op::AddRemoteCandidate>(held.op);
      if (candidate && remote_candidates_applied_ >= host_.timeouts().limits.max_remote_candidates_per_call) {
        if (held.event_id != last_dropped) {
          last_dropped = held.event_id;
          host_.output(Ignored{ref_, held.event_id,
                               "the call has its maximum of remote candidates "
                               "(Limits::max_remote_candidates_per_call); the rest were dropped"});
        }
        continue;
      }
      remote_candidates_applied_ += candidate ? 1 : 0;
      media(std::move(held.op));
    } else if (held.event_id != last_dropped) {
      last_dropped = held.event_id;
      host_.output(Ignored{ref_, held.event_id, "candidates of a party that was not selected (rule 35)"});
    }
  }
  remote_.held.clear();
  remote_.held.shrink_to_fit();
}

void Call::on_ice(IceState ice, Millis now) {
  const Timeouts& t = host_.timeouts();
  switch (ice) {
    case IceState::connected:
      ice_.media_flowed = true;
      ice_.disconnected = false;
      timers_.stop(Timer::connect);
      timers_.stop(Timer::ice_restart);
      timers_.stop(Timer::ice_hangup);
      if (state_ == CallState::connecting || state_ == CallState::create_answer) set_state(CallState::connected);
      return;
    case IceState::disconnected:
      if (state_ != CallState::connected || ice_.disconnected) return;
      ice_.disconnected = true;
      set_state(CallState::connecting);
      if (can_renegotiate()) timers_.set(Timer::ice_restart, now + static_cast<Millis>(t.ice_restart_delay_ms));
      timers_.set(Timer::ice_hangup, now + static_cast<Millis>(t.ice_disconnected_hangup_ms));
      return;
    case IceState::failed:
      // Never connected: there is no path to restore, so fail at once. Once media flowed, try one ICE restart.
      if (ice_.media_flowed && can_renegotiate() && !ice_.restart_tried) {
        ice_.restart_tried = true;
        timers_.stop(Timer::ice_restart);
        if (!timers_.is_set(Timer::ice_hangup)) {
          timers_.set(Timer::ice_hangup, now + static_cast<Millis>(t.ice_disconnected_hangup_ms));
        }
        return restart_ice();
      }
      return hang_up_for_ice();
    case IceState::checking:
    case IceState::closed: return;
  }
}

void Call::restart_ice() {
  if (!can_renegotiate()) return;
  negotiation_.ice_restart_pending = true;
  renegotiate();
}

void Call::renegotiate() {
  if (!can_renegotiate()) return;
  if (negotiation_.busy()) {
    negotiation_.wanted = true;
    return;
  }
  negotiation_.making_offer = true;
  negotiation_.wanted = false;
  negotiation_.ice_restart_offer = negotiation_.ice_restart_pending;
  if (negotiation_.ice_restart_pending) {
    media(media_op::RestartIce{});
    // A new generation of candidates, with its own end marker.
    local_.gathering_complete = local_.end_marker_sent = false;
  }
  media(media_op::CreateOffer{media_, stream_id(), negotiation_.ice_restart_pending, screenshare_id_});
  negotiation_.ice_restart_pending = false;
}

void Call::on_timer(Millis now) {
  for (Timer timer : kTimersInFiringOrder) {
    if (ended()) return;
    if (!timers_.expired(timer, now)) continue;
    timers_.stop(timer);
    fire(timer);
  }
}

void Call::fire(Timer timer) {
  switch (timer) {
    case Timer::invite_expiry:
      if (role_ == Role::caller) return hang_up_with("invite_timeout");  // rule 28
      if (is_ringing()) return end(kEndedInviteTimeout);                 // rule 19: stop, send nothing
      return;
    case Timer::candidate_flush: return flush_candidates();
    case Timer::negotiate_expiry:
      // Rule 55: the renegotiation failed. The media session is left with an unanswered offer, so the call cannot
      // go on in a known state; when the offer was an ICE restart, it is ICE that failed (rule 50).
      if (negotiation_.ice_restart_offer) return hang_up_for_ice();
      return hang_up_with("unknown_error");
    case Timer::connect:
    case Timer::ice_hangup: return hang_up_for_ice();
    case Timer::ice_restart: return restart_ice();
    case Timer::transfer_await: return transfer_failed("failed_call_invite", std::nullopt);
  }
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
  if (!local_.description_sent) return;  // the invite or answer will carry it
  const std::string sid = stream_id();
  send(SdpStreamMetadataChanged{our_common(), our_metadata(sid)});
}

StreamMetadataMap Call::our_metadata(const std::string& stream_id) const {
  StreamMetadataMap map{{stream_id, StreamMetadata{kPurposeUserMedia, hold_.audio_muted, hold_.video_muted}}};
  if (!screenshare_id_.empty()) map.emplace_back(screenshare_id_, StreamMetadata{kPurposeScreenshare, true, false});
  return map;
}

}  // namespace mxcall::protocol::engine
