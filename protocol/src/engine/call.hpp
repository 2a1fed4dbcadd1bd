// Internal: the state machine of one call as seen by the local party, caller or callee. The router creates calls,
// routes events and actions to them and collects their outputs; a call never sees another call.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mxcall/protocol/engine.hpp"
#include "timer_table.hpp"

namespace mxcall::protocol::engine {

// What a call needs from the router that owns it.
class CallHost {
 public:
  virtual const LocalParty& me() const = 0;
  virtual const Timeouts& timeouts() const = 0;
  virtual void output(Output output) = 0;
  // Where outputs go, for building one in place (the hot paths: media commands, sends, state changes).
  virtual std::vector<Output>& outputs() = 0;

 protected:
  ~CallHost() = default;
};

// A party of a call: (user id, party id); the party id is absent for v0 peers.
struct Party {
  std::string user;
  std::optional<std::string> party;

  bool is(std::string_view sender, const std::optional<std::string_view>& party_id) const {
    if (sender != user) return false;
    if (!party.has_value() || !party_id.has_value()) return party.has_value() == party_id.has_value();
    return *party == *party_id;
  }
};

class Call {
 public:
  enum class Role : std::uint8_t { caller, callee };

  // An outgoing call: asks the media engine for an offer at once.
  Call(CallHost& host, const action::Call& place, Millis now);
  // An incoming call from its invite. It does not ring until ring() (the router decides after the batch).
  Call(CallHost& host, const RoomEvent& event, const Invite& invite, Millis now);

  const CallRef& ref() const { return ref_; }
  Role role() const { return role_; }
  CallState state() const { return state_; }
  bool ended() const { return state_ == CallState::ended; }
  // The peer's user for glare: whom we are calling (caller), or who calls us (callee).
  std::optional<std::string_view> peer_user() const;
  std::uint64_t lifetime_ms() const { return lifetime_ms_; }

  // Incoming, after its batch: rings (or rings silently), or ends because too little of its lifetime is left.
  void ring(bool silent, Millis now);

  // A signalling event of this call from anyone but ourselves (the router drops our own echo).
  void on_event(const RoomEvent& event, Millis now);
  void on_media(const MediaEventKind& event, Millis now);
  void on_member_left(std::string_view user);
  void act(const UserAction& action, Millis now);
  // Glare: ends this call in favour of another (rule 59-60). `tell_peer` sends what the role requires.
  void replace(bool tell_peer);
  // Glare, rule 59: answers at once as if the user had, reusing whatever the media side has ready.
  // Also an awaited transfer replacement (rule T7), with `video` as the user chose on accepting.
  void answer_automatically(Millis now, bool video = false);

  void on_timer(Millis now);
  Millis next_deadline() const { return ended() ? kNever : timers_.next(); }
  // On `ended`: the reason reported (a hangup reason, or a kEnded* value).
  const std::string& end_reason() const { return end_reason_; }

  // Transfers the peer asked for (call_features.cpp); the router links the replacement call (transfers.cpp).
  struct ReceivedTransfer {
    std::string replacement_id;
    Identity target;
    std::optional<std::string> target_room;
    std::string new_call_id;
    bool we_place_call = false;
    bool accepted = false;
  };
  const std::optional<ReceivedTransfer>& received_transfer() const { return received_transfer_; }
  // Accepted: an await_call transfer waits for the target's invite until Timeouts::transfer_await_ms (rule T7).
  void transfer_accepted(Millis now);
  // The replacement could not be made: m.call.reject_replacement with `reason` (rule T7), the call goes on.
  void transfer_failed(std::string_view reason, std::optional<std::string_view> call_failure_reason);
  // The replacement connected: this call is hung up (rule T8).
  void transfer_completed(const CallRef& replacement);

  // The router's bookkeeping: the deadline it last put on its timer heap for this call, and the call's place in
  // creation order (the order in which the router visits calls when one input touches several).
  Millis scheduled = kNever;
  std::uint64_t created = 0;

 private:
  // call_signalling.cpp
  void on_answer(const RoomEvent& event, const Answer& answer, Millis now);
  void on_reject(const RoomEvent& event, const Reject& reject);
  void on_select_answer(const RoomEvent& event, const SelectAnswer& select);
  void on_hangup(const RoomEvent& event, const Hangup& hangup);
  void on_candidates(const RoomEvent& event, const Candidates& candidates);
  void on_negotiate(const RoomEvent& event, const Negotiate& negotiate);
  void on_metadata_changed(const RoomEvent& event, const SdpStreamMetadataChanged& changed);
  // call_features.cpp
  void on_replaces(const RoomEvent& event, const Replaces& replaces);
  void on_reject_replacement(const RoomEvent& event, const RejectReplacement& rejected);
  void on_asserted_identity(const RoomEvent& event, const AssertedIdentity& asserted);
  void start_transfer(const action::Transfer& transfer);
  void decline_transfer(const action::AnswerTransfer& answer);
  void assert_identity(const action::AssertIdentity& assert);
  void do_busy();
  void peer_capabilities(const std::optional<Capabilities>& capabilities);
  void feature(CallFeature feature) { host_.output(Output{std::move(feature)}); }
  void do_answer(bool video, Millis now);
  void do_reject();
  void do_hangup();
  void select(const RoomEvent& event, std::string_view description_type, std::string_view sdp, bool peer_v1,
              Millis now);
  // The one way a call ends. An announced call reports `ended` with `reason`; an incoming call that never rang
  // reports its invite ignored with `never_rang_why` instead.
  void end(std::string_view reason,
           std::string_view never_rang_why = "the call ended within its sync batch, so it never rang (rule 21)");
  void hang_up_with(std::string_view reason);
  // Rule 50: ICE that never connected failed; ICE that connected and was lost timed out.
  void hang_up_for_ice() { hang_up_with(ice_.media_flowed ? "ice_timeout" : "ice_failed"); }
  bool from_opponent(const RoomEvent& event) const;
  bool from_own_other_device(const RoomEvent& event) const;
  bool can_renegotiate() const;
  bool is_ringing() const;
  void ignore(const RoomEvent& event, std::string why);
  void refuse(std::string why);
  bool seen_before(std::string_view event_id);

  // call_media_features.cpp (media features without signalling of their own)
  void send_dtmf(const action::SendDtmf& request);
  static std::vector<std::string> screenshare_streams(const std::optional<StreamMetadataMap>& metadata);
  void share_screen(bool on);
  std::string screenshare_id_;  // our screen share's msid stream id while we share
  void on_dtmf(const media_event::DtmfReceived& digit);

  // call_media.cpp
  void on_local_description(const media_event::LocalDescription& description, Millis now);
  void on_local_candidate(const media_event::LocalCandidate& candidate, Millis now);
  void on_ice(IceState state, Millis now);
  void on_media_failed(MediaFailure failure);
  void fire(Timer timer);
  std::uint64_t candidate_batch_delay_ms() const {  // rule 31
    const Timeouts& t = host_.timeouts();
    return role_ == Role::caller ? t.candidate_batch_caller_ms : t.candidate_batch_callee_ms;
  }
  void flush_candidates();
  void release_candidates(Millis now);
  void apply_candidates(const Candidates& candidates, std::string_view event_id);  // straight to the media engine
  void queue_remote_candidates(const RoomEvent& event, const Candidates& candidates);
  void apply_remote_candidates(const Party& party);
  void renegotiate();
  void restart_ice();
  void media(MediaOp op);
  void send(CallContent content);
  void send_metadata_changed();
  StreamMetadataMap our_metadata(const std::string& stream_id) const;
  std::string stream_id() const;  // made when needed: a ringing call that is never answered never needs it
  CallCommon our_common() const;
  void set_state(CallState state, std::string reason = {});

  CallHost& host_;
  CallRef ref_;
  Role role_;
  CallState state_;
  MediaWants media_;
  std::uint64_t lifetime_ms_ = 0;
  std::optional<std::string> invitee_;         // caller: whom we called
  std::optional<std::string> dm_peer_;         // caller without an invitee: the other member of the direct chat
  std::size_t remote_candidates_applied_ = 0;  // against Limits::max_remote_candidates_per_call

  static constexpr std::size_t kMaxBufferedRemoteCandidates = 256;

  Party opponent_;  // callee: the inviter from the start; caller: the selected answerer
  bool opponent_chosen_ = false;
  bool peer_v1_ = true;          // the invite (callee) or the selected answer (caller) is v1
  std::string offer_sdp_;        // callee: the invite's offer, until answered
  std::string invite_event_id_;  // callee: to say why an invite never rang
  bool announced_ = false;       // callee: the user has been told (ringing); callers are announced at once
  bool media_open_ = false;      // a media command was given, so the session must be closed at the end

  // Our candidates (rules 29-33): held until the invite or answer is out, then batched.
  struct LocalCandidates {
    std::vector<media_event::LocalCandidate> held;
    bool description_sent = false;  // our invite or answer is out, so candidates may follow (rule 29)
    bool gathering_complete = false;
    bool end_marker_sent = false;  // rule 32, once per candidate generation
  } local_;

  // The peer's candidates, held until the remote description is set and, for a caller, the answer is chosen.
  struct RemoteCandidates {
    struct Held {
      Party from;
      std::string event_id;
      MediaOp op;  // AddRemoteCandidate or EndOfRemoteCandidates
    };
    std::vector<Held> held;
    bool description_set = false;
  } remote_;

  // Renegotiation (rules 51-57): at most one offer in flight, and whether another is due after it.
  struct Negotiation {
    bool making_offer = false;
    bool answering_remote_offer = false;
    bool wanted = false;               // another offer once the exchange in flight settles
    bool ice_restart_pending = false;  // the next offer restarts ICE
    bool ice_restart_offer = false;    // the offer in flight restarts ICE: if it goes unanswered, ICE has failed
    bool busy() const { return making_offer || answering_remote_offer; }
  } negotiation_;

  // ICE recovery (rule 50).
  struct IceRecovery {
    bool media_flowed = false;  // ICE connected at least once
    bool disconnected = false;
    bool restart_tried = false;  // a `failed` after media flowed restarts ICE once before hanging up
  } ice_;

  // What the user asked of our media: hold (a renegotiation, rule 51) and mute (our stream metadata, rule 67).
  struct Hold {
    bool on_hold = false;
    bool peer_held = false;  // the peer's last offer held us (rule 56)
    bool audio_muted = false;
    bool video_muted = false;
  } hold_;

  // Features (call_features.cpp): the peer's capabilities (rule T10) and transfers either way (rules T5-T9).
  Capabilities peer_capabilities_;
  std::optional<Capabilities> invite_capabilities_;  // callee: announced when the call rings
  std::optional<ReceivedTransfer> received_transfer_;
  std::string sent_replacement_id_;  // transferor: the transfer in flight
  std::string end_reason_;

  TimerTable timers_;

  // Hashes of recent event ids: duplicate delivery is ignored.
  std::array<std::uint64_t, 16> seen_{};
  std::uint8_t seen_next_ = 0;
};

// A stream id for our media, from the call id: stable, and a valid msid token whatever the call id holds.
std::string stream_id_for(std::string_view call_id, std::string_view party_id);

}  // namespace mxcall::protocol::engine
