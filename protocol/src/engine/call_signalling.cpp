// The call's life as signalling sees it: creation, user actions, and the events of the other parties.
#include <algorithm>
#include <cassert>

#include "call.hpp"
#include "mxcall/protocol/overloaded.hpp"
#include "peer_hold.hpp"

namespace mxcall::protocol::engine {

namespace {

// FNV-1a: event ids only need telling apart within one call's recent events.
std::uint64_t hash_of(std::string_view s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

std::optional<std::string> optional_copy(const std::optional<std::string_view>& s) {
  return s ? std::optional<std::string>(std::string(*s)) : std::nullopt;
}

}  // namespace

std::string stream_id_for(std::string_view call_id, std::string_view party_id) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t h = hash_of(call_id) ^ (hash_of(party_id) * 31);
  std::string id = "mxcall-";
  for (int shift = 60; shift >= 0; shift -= 4) id += kHex[(h >> shift) & 0xf];
  return id;
}

Call::Call(CallHost& host, const action::Call& place, Millis now)
    : host_(host), ref_{place.room_id, place.call_id}, role_(Role::caller), state_(CallState::create_offer) {
  media_.video = place.video;
  invitee_ = place.invitee;
  if (!invitee_) dm_peer_ = place.dm_peer;
  lifetime_ms_ = host_.timeouts().invite_lifetime_ms;
  set_state(CallState::create_offer);
  media(media_op::CreateOffer{media_, stream_id(), false});
  (void)now;
}

Call::Call(CallHost& host, const RoomEvent& event, const Invite& invite, Millis now)
    : host_(host),
      ref_{std::string(event.room_id), std::string(invite.common.call_id)},
      role_(Role::callee),
      state_(CallState::ringing) {
  opponent_ = Party{std::string(event.sender), optional_copy(invite.common.party_id)};
  opponent_chosen_ = true;
  peer_v1_ = invite.common.version.is_v1();
  offer_sdp_ = std::string(invite.offer.sdp);
  invite_event_id_ = std::string(event.event_id);
  invite_capabilities_ = invite.capabilities;
  // The peer chooses the lifetime: clamped, it bounds how long we ring and remember the call id.
  lifetime_ms_ = std::min(invite.lifetime_ms, host_.timeouts().max_peer_lifetime_ms);
  // Rule 18: the invite's age when the server delivered it plus what passes here; never the sender's clock.
  Millis age = std::max<Millis>(0, event.age_ms.value_or(0));
  timers_.set(Timer::invite_expiry, now + static_cast<Millis>(lifetime_ms_) - age);
  seen_before(event.event_id);
}

std::string Call::stream_id() const { return stream_id_for(ref_.call_id, host_.me().party_id); }

std::optional<std::string_view> Call::peer_user() const {
  if (role_ == Role::callee || opponent_chosen_) return opponent_.user;
  if (invitee_) return *invitee_;
  if (dm_peer_) return *dm_peer_;
  return std::nullopt;
}

void Call::ring(bool silent, Millis now) {
  if (ended() || announced_) return;
  if (timers_.at(Timer::invite_expiry) - now <= static_cast<Millis>(host_.timeouts().ring_grace_ms)) {
    return end(kEndedInviteTimeout, "the invite has expired or will before it can be answered (rule 20)");
  }
  announced_ = true;
  set_state(silent ? CallState::ringing_silent : CallState::ringing);
  peer_capabilities(invite_capabilities_);
}

void Call::act(const UserAction& action, Millis now) {
  if (ended()) return refuse("the call has ended");
  auto hold = [&](bool on_hold) {
    if (!can_renegotiate()) return refuse("hold needs a connected call with a VoIP v1 peer (rule 51)");
    if (hold_.on_hold == on_hold) return refuse(on_hold ? "the call is already on hold" : "the call is not on hold");
    hold_.on_hold = on_hold;
    media(media_op::SetDirection{on_hold ? Direction::sendonly : Direction::sendrecv});
    renegotiate();
  };
  std::visit(
      Overloaded{
          [&](const action::Call&) { refuse("placing a call is not an action on an existing call"); },
          [&](const action::Answer& a) {
            if (role_ != Role::callee || !is_ringing()) {
              return refuse("only a ringing incoming call can be answered");
            }
            do_answer(a.video, now);
          },
          [&](const action::Reject&) {
            if (role_ != Role::callee || !is_ringing()) {
              return refuse("only a ringing incoming call can be rejected; hang up instead");
            }
            do_reject();
          },
          [&](const action::Hangup&) { do_hangup(); },
          [&](const action::Hold&) { hold(true); },
          [&](const action::Resume&) { hold(false); },
          [&](const action::Mute& a) {
            if (state_ != CallState::connecting && state_ != CallState::connected && state_ != CallState::invite_sent) {
              return refuse("mute applies once the call is set up");
            }
            hold_.audio_muted = a.audio;
            hold_.video_muted = a.video;
            media(media_op::SetMuted{a.audio, a.video});
            if (peer_v1_) send_metadata_changed();  // rule 67; v0 peers know no metadata
          },
          [&](const action::Transfer& a) { start_transfer(a); },
          [&](const action::AnswerTransfer& a) { decline_transfer(a); },  // the router carries out an acceptance
          [&](const action::AssertIdentity& a) { assert_identity(a); },
          [&](const action::Busy&) {
            if (role_ != Role::callee || !is_ringing()) return refuse("only a ringing incoming call can be busy");
            do_busy();
          },
          [&](const action::SetVideo& a) {
            if (!can_renegotiate()) {
              return refuse("video changes need a connected call with a VoIP v1 peer (rule 51)");
            }
            if (media_.video == a.video) return refuse(a.video ? "video is already on" : "video is already off");
            media_.video = a.video;
            renegotiate();
          },
          [&](const action::SendDtmf& a) { send_dtmf(a); },
          [&](const action::ShareScreen& a) { share_screen(a.on); },
      },
      action);
}

void Call::do_answer(bool video, Millis now) {
  media_.video = video;
  set_state(CallState::create_answer);
  timers_.stop(Timer::invite_expiry);
  timers_.set(Timer::connect, now + static_cast<Millis>(host_.timeouts().connect_timeout_ms));
  media(media_op::SetRemoteDescription{"offer", std::move(offer_sdp_)});
  offer_sdp_ = std::string();
  remote_.description_set = true;
  media(media_op::CreateAnswer{media_, stream_id()});
  apply_remote_candidates(opponent_);
}

void Call::answer_automatically(Millis now, bool video) {
  if (!ended() && role_ == Role::callee && is_ringing()) do_answer(video, now);
}

void Call::do_reject() {
  if (peer_v1_) {
    send(Reject{our_common(), std::nullopt});  // rule 42
  } else {
    send(Hangup{our_common(), "user_hangup", true});  // rule 43: a v0 caller knows no reject
  }
  end(kEndedRejected);
}

void Call::do_hangup() {
  if (role_ == Role::callee && is_ringing()) return do_reject();  // declining a v1 call is a reject (rule 48)
  if (role_ == Role::caller && state_ == CallState::create_offer) return end("user_hangup");  // nothing sent
  hang_up_with("user_hangup");  // rule 49: said explicitly
}

void Call::replace(bool tell_peer) {
  if (ended()) return;
  if (tell_peer) {
    if (role_ == Role::caller && local_.description_sent) {
      send(Hangup{our_common(), kGlareHangupReason, true});
    } else if (role_ == Role::callee) {
      // The losing incoming call: a reject stops it on our other devices too (rule 42), a hangup for v0 callers.
      if (peer_v1_) {
        send(Reject{our_common(), std::nullopt});
      } else {
        send(Hangup{our_common(), kGlareHangupReason, true});
      }
    }
  }
  end(kEndedReplaced, "glare: our own call to this user survives (rule 60)");
}

void Call::on_event(const RoomEvent& event, Millis now) {
  if (seen_before(event.event_id)) return ignore(event, "already seen: duplicate delivery");
  std::visit(Overloaded{
                 [&](const Invite&) { ignore(event, "a second invite for a call that exists"); },
                 [&](const Answer& c) { on_answer(event, c, now); },
                 [&](const Reject& c) { on_reject(event, c); },
                 [&](const SelectAnswer& c) { on_select_answer(event, c); },
                 [&](const Hangup& c) { on_hangup(event, c); },
                 [&](const Candidates& c) { on_candidates(event, c); },
                 [&](const Negotiate& c) { on_negotiate(event, c); },
                 [&](const SdpStreamMetadataChanged& c) { on_metadata_changed(event, c); },
                 [&](const Replaces& c) { on_replaces(event, c); },
                 [&](const RejectReplacement& c) { on_reject_replacement(event, c); },
                 [&](const AssertedIdentity& c) { on_asserted_identity(event, c); },
             },
             event.content);
}

void Call::on_answer(const RoomEvent& event, const Answer& answer, Millis now) {
  if (role_ == Role::callee) {
    if (is_ringing() && from_own_other_device(event)) return end(kEndedAnsweredElsewhere);  // rule 41
    return ignore(event, "an answer to a call we did not place");
  }
  if (state_ == CallState::create_offer) return ignore(event, "an answer before our invite was sent");
  if (opponent_chosen_) {
    return ignore(event, from_opponent(event) ? "already seen: the selected answer"
                                              : "another answer was already selected (rule 40)");
  }
  if (invitee_ && event.sender != *invitee_) return ignore(event, "the call was meant for another user (rule 24)");
  select(event, "answer", answer.answer.sdp, answer.common.version.is_v1(), now);
  peer_capabilities(answer.capabilities);
}

void Call::select(const RoomEvent& event, std::string_view description_type, std::string_view sdp, bool peer_v1,
                  Millis now) {
  const auto& party = common_of(event.content).party_id;
  opponent_ = Party{std::string(event.sender), optional_copy(party)};
  opponent_chosen_ = true;
  peer_v1_ = peer_v1;
  timers_.stop(Timer::invite_expiry);
  media(media_op::SetRemoteDescription{std::string(description_type), std::string(sdp)});
  remote_.description_set = true;
  // Rule 36; not for a v0 answer, which has no party to name (digest 8.6).
  if (peer_v1 && party) send(SelectAnswer{our_common(), *party});
  apply_remote_candidates(opponent_);
  timers_.set(Timer::connect, now + static_cast<Millis>(host_.timeouts().connect_timeout_ms));
  if (state_ != CallState::connected) set_state(CallState::connecting);
}

void Call::on_reject(const RoomEvent& event, const Reject& reject) {
  if (role_ == Role::callee) {
    if (is_ringing() && from_own_other_device(event)) return end(kEndedRejected);  // rule 27(b)
    return ignore(event, "a reject concerns the caller and the rejecting user's devices only");
  }
  if (state_ == CallState::create_offer) return ignore(event, "a reject before our invite was sent");
  if (opponent_chosen_) return ignore(event, "an answer was already selected, so the reject is ignored (rule 45)");
  if (invitee_ && event.sender != *invitee_) return ignore(event, "the call was meant for another user (rule 24)");
  if (reject.common.party_id) send(SelectAnswer{our_common(), *reject.common.party_id});  // rule 44
  // A busy callee's reject says so (rule 50; matrix-js-sdk reads the reason the same way).
  end(reject.reason && *reject.reason == "user_busy" ? "user_busy" : kEndedRejected);
}

void Call::on_select_answer(const RoomEvent& event, const SelectAnswer& select) {
  if (role_ == Role::caller) return ignore(event, "select_answer for our own call can only come from us");
  if (!from_opponent(event)) return ignore(event, "select_answer from someone other than the caller (rule 53)");
  if (select.selected_party_id == host_.me().party_id) return;  // we are the chosen one: nothing to do
  end(kEndedAnsweredElsewhere);                                 // rules 37 and 46: silently, no hangup
}

void Call::on_hangup(const RoomEvent& event, const Hangup& hangup) {
  if (role_ == Role::callee) {
    if (from_opponent(event) || (is_ringing() && from_own_other_device(event))) return end(hangup.reason_text);
    return ignore(event, "a hangup from someone who is not a party of this call (pitfall 6)");
  }
  if (opponent_chosen_) {
    if (from_opponent(event)) return end(hangup.reason_text);
    return ignore(event, "a hangup from a party that was not selected (rule 40)");
  }
  if (state_ == CallState::create_offer) return ignore(event, "a hangup before our invite was sent");
  // Before any answer, a callee's hangup declines the call (digest 8.4; v0 callees decline this way, rule 43).
  bool from_callee = invitee_ ? event.sender == *invitee_ : event.sender != host_.me().user_id;
  if (!from_callee) return ignore(event, "the call was meant for another user (rule 24)");
  end(hangup.reason_text);
}

void Call::on_candidates(const RoomEvent& event, const Candidates& candidates) {
  if (role_ == Role::callee) {
    if (!from_opponent(event)) return ignore(event, "candidates from someone who is not the caller (rule 14)");
  } else if (opponent_chosen_) {
    if (!from_opponent(event)) return ignore(event, "candidates of a party that was not selected (rule 40)");
  } else if (invitee_ && event.sender != *invitee_) {
    return ignore(event, "the call was meant for another user (rule 24)");
  }
  if (remote_.description_set && opponent_chosen_) {
    return apply_candidates(candidates, event.event_id);  // the common case
  }
  if (remote_.held.size() + candidates.candidates.size() > kMaxBufferedRemoteCandidates) {
    return ignore(event, "too many candidates held before an answer; dropped");
  }
  queue_remote_candidates(event, candidates);
}

void Call::on_negotiate(const RoomEvent& event, const Negotiate& negotiate) {
  if (!from_opponent(event) || !opponent_chosen_) return ignore(event, "negotiate from a non-party (rule 53)");
  if (!can_renegotiate()) return ignore(event, "negotiate needs both sides on VoIP v1 and a set-up call (rule 51)");
  Millis age = std::max<Millis>(0, event.age_ms.value_or(0));
  if (static_cast<std::uint64_t>(age) >= negotiate.lifetime_ms) return ignore(event, "the negotiate expired (rule 55)");
  if (negotiate.description.type == "offer") {
    if (negotiation_.busy()) {
      if (role_ == Role::caller) return ignore(event, "offer collision: the caller is impolite (rule 57)");
      // We are polite: our offer is rolled back (the media engine does so on a remote offer) and made again later.
      negotiation_.making_offer = false;
      timers_.stop(Timer::negotiate_expiry);
      negotiation_.wanted = true;
    }
    if (bool held = offer_holds(negotiate.description.sdp); held != hold_.peer_held) {
      hold_.peer_held = held;
      host_.output(PeerHeld{ref_, held});
    }
    media(media_op::SetRemoteDescription{"offer", std::string(negotiate.description.sdp),
                                         screenshare_streams(negotiate.sdp_stream_metadata)});
    negotiation_.answering_remote_offer = true;
    media(media_op::CreateAnswer{media_, stream_id()});  // rule 54: an offer is always answered
    return;
  }
  if (negotiate.description.type == "answer") {
    if (!negotiation_.making_offer) return ignore(event, "a negotiate answer to no offer of ours");
    media(media_op::SetRemoteDescription{"answer", std::string(negotiate.description.sdp),
                                         screenshare_streams(negotiate.sdp_stream_metadata)});
    negotiation_.making_offer = false;
    negotiation_.ice_restart_offer = false;
    timers_.stop(Timer::negotiate_expiry);
    if (negotiation_.wanted) renegotiate();
    return;
  }
  ignore(event, "a negotiate that is neither an offer nor an answer");
}

void Call::on_metadata_changed(const RoomEvent& event, const SdpStreamMetadataChanged& changed) {
  if (!from_opponent(event) || !opponent_chosen_) return ignore(event, "stream metadata from a non-party (rule 53)");
  // Rule 64: only the usermedia stream counts here; unknown purposes are ignored.
  for (const auto& [stream, meta] : changed.sdp_stream_metadata) {
    if (meta.purpose != kPurposeUserMedia) continue;
    host_.output(PeerMuted{ref_, meta.audio_muted, meta.video_muted});
    return;
  }
}

void Call::on_member_left(std::string_view user) {
  if (opponent_chosen_ && opponent_.user == user) return end("user_hangup");        // rule 69
  if (role_ == Role::caller && invitee_ && *invitee_ == user) end(kEndedRejected);  // rule 70
}

void Call::end(std::string_view reason, std::string_view never_rang_why) {
  if (ended()) return;
  bool was_announced = announced_ || role_ == Role::caller;
  end_reason_ = std::string(reason);
  timers_.stop_all();
  if (media_open_) media(media_op::Close{});
  if (was_announced) {
    set_state(CallState::ended, std::string(reason));
  } else {
    state_ = CallState::ended;  // the user never heard of it, so there is no state change to report
    host_.output(Ignored{ref_, invite_event_id_, std::string(never_rang_why)});
  }
}

void Call::hang_up_with(std::string_view reason) {
  if (ended()) return;
  send(Hangup{our_common(), reason, true});
  end(reason);
}

bool Call::from_opponent(const RoomEvent& event) const {
  return opponent_.is(event.sender, common_of(event.content).party_id);
}

bool Call::from_own_other_device(const RoomEvent& event) const {
  const auto& party = common_of(event.content).party_id;
  return event.sender == host_.me().user_id && (!party || *party != host_.me().party_id);
}

bool Call::can_renegotiate() const {
  return opponent_chosen_ && peer_v1_ && remote_.description_set && local_.description_sent &&
         (state_ == CallState::connecting || state_ == CallState::connected);
}

bool Call::is_ringing() const { return state_ == CallState::ringing || state_ == CallState::ringing_silent; }

void Call::ignore(const RoomEvent& event, std::string why) {
  host_.output(Ignored{ref_, std::string(event.event_id), std::move(why)});
}

void Call::refuse(std::string why) { host_.output(ActionRefused{ref_, std::move(why)}); }

bool Call::seen_before(std::string_view event_id) {
  if (event_id.empty()) return false;
  std::uint64_t h = std::hash<std::string_view>{}(event_id);
  if (std::find(seen_.begin(), seen_.end(), h) != seen_.end()) return true;
  seen_[seen_next_] = h;
  seen_next_ = static_cast<std::uint8_t>((seen_next_ + 1) % seen_.size());
  return false;
}

CallCommon Call::our_common() const { return CallCommon{ref_.call_id, host_.me().party_id, Version::v1()}; }

namespace {

// Every state change a call makes, in one place; set_state checks each one against this table. Any state but
// `ended` may also end, through Call::end only.
struct Transition {
  CallState from;
  CallState to;
};
constexpr Transition kTransitions[] = {
    {CallState::create_offer, CallState::create_offer},     // placed: the user hears of the call at once
    {CallState::create_offer, CallState::invite_sent},      // our invite is out
    {CallState::invite_sent, CallState::connecting},        // an answer was selected (rule 36)
    {CallState::ringing, CallState::ringing},               // rings once its batch is known (rule 21)
    {CallState::ringing, CallState::ringing_silent},        // ... without alerting, in a public room (rule 25)
    {CallState::ringing, CallState::create_answer},         // the user answered
    {CallState::ringing_silent, CallState::create_answer},  //
    {CallState::create_answer, CallState::connecting},      // our answer is out
    {CallState::create_answer, CallState::connected},       // ICE connected before our answer was made
    {CallState::connecting, CallState::connected},          // ICE connected
    {CallState::connected, CallState::connecting},          // ICE disconnected: recovering (rule 50)
};

// Only the assert below uses it: unused (and a -Werror failure under clang) when NDEBUG removes the assert.
[[maybe_unused]] constexpr bool allowed(CallState from, CallState to) {
  if (to == CallState::ended) return from != CallState::ended;
  for (const Transition& t : kTransitions) {
    if (t.from == from && t.to == to) return true;
  }
  return false;
}

}  // namespace

void Call::set_state(CallState state, std::string reason) {
  assert(allowed(state_, state) && "a call state change missing from kTransitions");
  state_ = state;
  auto& update = std::get<CallUpdate>(host_.outputs().emplace_back(std::in_place_type<CallUpdate>));
  update.call = ref_;
  update.state = state;
  update.reason = std::move(reason);
}

}  // namespace mxcall::protocol::engine
