// The call engine's vocabulary: its configuration, the user actions it takes, and what it outputs.
//
// The engine is pure: time is a number the caller passes in (milliseconds on any monotonic clock), and everything it
// decides comes out as an Output to execute (send an event, run a media command) or to show (a state change, an
// ignored event and why). See router.hpp for the engine itself.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "mxcall/protocol/call_events.hpp"
#include "mxcall/protocol/call_features.hpp"
#include "mxcall/protocol/event_types.hpp"
#include "mxcall/protocol/media_io.hpp"

namespace mxcall::protocol {

using Millis = std::int64_t;

// Who we are: one local party. The party id is fixed for every call (rule 13 allows the device id).
struct LocalParty {
  std::string user_id;
  std::string party_id;
  // What our invites, answers and negotiates advertise (rule T10). transferee: the application answers transfer
  // requests (action::AnswerTransfer); dtmf: the media engine sends RFC 4733 digits (rule 71).
  Capabilities capabilities{};
};

// What a peer's events can make the engine hold, at most (docs/security.md). What would go over a cap is dropped, or
// the oldest held is evicted, and reported as Ignored naming the cap.
struct Limits {
  std::size_t max_live_calls = 10000;             // ours and theirs, in all rooms
  std::size_t max_live_calls_per_room = 64;       // a room member cannot fill the table alone
  std::size_t max_live_calls_per_sender = 8;      // incoming calls from one user, all devices
  std::size_t max_remembered_call_ids = 100000;   // ended ids kept to ignore their late events; the oldest goes first
  std::size_t early_bytes_per_call = 128 * 1024;  // events held before their invite, per call id, in bytes
  std::size_t early_bytes_total = 16 * 1024 * 1024;   // and for all call ids together; the oldest call goes first
  std::size_t max_remote_candidates_per_call = 1000;  // handed to the media engine over the call's whole life
  // The key of the call tables' hash (SipHash-1-3). Unset: a random key per Router, from std::random_device, so
  // that no peer can craft colliding ids. Outputs never depend on it; tests set it to prove that.
  std::optional<std::array<std::uint64_t, 2>> hash_key;
};

// Every timer in one place, injectable (tests and the simulator shorten them).
struct Timeouts {
  std::uint64_t invite_lifetime_ms = 90000;          // what our invites carry (rule 17's minimum)
  std::uint64_t ring_grace_ms = 3000;                // do not ring with less than this left (rule 20; js-sdk uses 3 s)
  std::uint64_t negotiate_lifetime_ms = 30000;       // what our negotiates carry; an unanswered one fails after it
  std::uint64_t candidate_batch_caller_ms = 2000;    // rule 31
  std::uint64_t candidate_batch_callee_ms = 500;     // rule 31
  std::uint64_t connect_timeout_ms = 45000;          // answered/selected but media never connected: ice_failed
  std::uint64_t ice_restart_delay_ms = 2000;         // disconnected this long: restart ICE (js-sdk: 2 s)
  std::uint64_t ice_disconnected_hangup_ms = 30000;  // disconnected this long: hang up (js-sdk: 30 s)
  std::uint64_t ended_call_memory_ms = 600000;       // ended call ids are remembered this long (at least a lifetime)
  std::size_t early_events_per_call = 32;            // events seen before their invite, kept per call id
  std::size_t early_event_calls = 256;               // call ids with such events, at most
  // A peer's `lifetime` is read as at most this: it sets how long we ring and how long the call id is remembered,
  // and a peer must not make us ring for years (2^53 ms was accepted). Ours is invite_lifetime_ms.
  std::uint64_t max_peer_lifetime_ms = 180000;
  // An accepted await_call transfer fails (failed_call_invite, rule T7) when the target's invite has not come by then.
  std::uint64_t transfer_await_ms = 60000;
  Limits limits;
};

enum class CallState : std::uint8_t {
  create_offer,    // we are placing a call; the media engine is making the offer
  invite_sent,     // our invite is out, waiting for an answer
  ringing,         // an incoming call is alerting the user
  ringing_silent,  // an incoming call the user may answer, shown without alerting (public room, rule 25-26)
  create_answer,   // the user answered; the media engine is making the answer
  connecting,      // both descriptions are set, media is not flowing yet
  connected,       // ICE connected
  ended,
};
std::string_view to_string(CallState state);

// Why a call ended, beyond a hangup reason sent or received (HangupReason's strings).
inline constexpr std::string_view kEndedAnsweredElsewhere = "answered_elsewhere";
inline constexpr std::string_view kEndedRejected = "rejected";
inline constexpr std::string_view kEndedReplaced = "replaced";  // lost glare, or a glare loser we ended
inline constexpr std::string_view kEndedInviteTimeout = "invite_timeout";
inline constexpr std::string_view kEndedTransferred = "transferred";  // the replacement call connected (rule T8)

// The hangup reason we send for the losing call of a glare. The spec names none; js-sdk sends the non-spec
// `replaced`. We send `user_busy`: the client is busy with the surviving call, and it is the one spec reason that
// claims neither a user's decision nor a failure (docs/conformance.md, rule 62).
inline constexpr std::string_view kGlareHangupReason = "user_busy";

namespace action {
struct Call {
  std::string room_id;
  std::string call_id;
  std::optional<std::string> invitee;
  bool video = false;
  // The other member, when the room is a direct chat and no invitee is sent: an invite from them crossing ours is
  // glare (rule 58). Without an invitee or this, no invite is glare: in a room of several members, anyone else's
  // crossing invite rings as a call of its own and is never answered for the user.
  std::optional<std::string> dm_peer = std::nullopt;
};
struct Answer {
  CallRef call;
  bool video = false;
};
struct Reject {
  CallRef call;
};
struct Hangup {
  CallRef call;
};
struct Hold {
  CallRef call;
};
struct Resume {
  CallRef call;
};
struct Mute {  // mute or unmute, audio and video separately
  CallRef call;
  bool audio = false;
  bool video = false;
};
struct SetVideo {  // upgrade to video or drop it, by renegotiation
  CallRef call;
  bool video = true;
};
// DTMF digits sent in band (RFC 4733) on a connected call. W3C RTCDTMFSender's bounds: 40-6000 ms per tone, at least
// 30 ms between tones; digits 0-9 * # A-D (lower case accepted) and "," for a 2 s pause, at most kMaxDtmfDigits.
struct SendDtmf {
  CallRef call;
  std::string digits;
  std::uint32_t duration_ms = 100;
  std::uint32_t gap_ms = 70;
};
inline constexpr std::size_t kMaxDtmfDigits = 256;
// Starts or stops sharing a screen (a test pattern or the MediaChoice's source) by renegotiation: a video m-line of
// its own, named m.screenshare in sdp_stream_metadata (rule 56: adding or removing screenshare streams).
struct ShareScreen {
  CallRef call;
  bool on = true;
};
}  // namespace action

// What is wrong with a DTMF request (a digit outside 0-9 * # A-D and ",", too many, a duration or gap out of
// bounds), or nullopt when it can be sent. The CLI checks its --dtmf argument with it before placing a call.
std::optional<std::string> dtmf_problem(const action::SendDtmf& request);

using UserAction = std::variant<action::Call, action::Answer, action::Reject, action::Hangup, action::Hold,
                                action::Resume, action::Mute, action::SetVideo, action::SendDtmf, action::ShareScreen,
                                action::Transfer, action::AnswerTransfer, action::AssertIdentity, action::Busy>;

// Changes to rooms that matter to calls, from the room's state as the client tracks it.
struct RoomJoinRule {
  std::string room_id;
  bool is_public = false;  // join rule `public`: invites there do not alert (rule 25)
};
struct MemberLeft {
  std::string room_id;
  std::string user_id;
};

// Outputs.
struct SendEvent {
  std::string room_id;
  EventKind kind;
  std::string content;  // the JSON body, written by write_content
  bool operator==(const SendEvent&) const = default;
};
struct CallUpdate {
  CallRef call;
  CallState state;
  std::string reason;  // on `ended`: the hangup reason sent or received, or one of the kEnded* values
  bool operator==(const CallUpdate&) const = default;
};
struct Ignored {
  CallRef call;          // room and call id when known
  std::string event_id;  // empty when the event had none
  std::string why;       // names the rule
  bool operator==(const Ignored&) const = default;
};
struct ActionRefused {
  CallRef call;
  std::string why;  // what the user can do instead
  bool operator==(const ActionRefused&) const = default;
};

// The peer's mute state from its stream metadata (rule 68): show audio_muted without touching the remote audio
// (the peer already stopped sending, and muting here would clip its first words); hide the remote video on
// video_muted, so that no black frame is shown.
struct PeerMuted {
  CallRef call;
  bool audio_muted = false;
  bool video_muted = false;
  bool operator==(const PeerMuted&) const = default;
};

// The peer put us on hold (held) or took us off it, from the directions of its renegotiation offer (rule 56): show
// it, since the silence is then the peer's choice and not a fault.
struct PeerHeld {
  CallRef call;
  bool held = false;
  bool operator==(const PeerHeld&) const = default;
};

// A DTMF digit the peer sent in band (RFC 4733), for an IVR: reported once the peer released it.
struct DtmfDigit {
  CallRef call;
  char digit = '0';  // 0-9 * # A-D
  std::uint32_t duration_ms = 0;
  bool operator==(const DtmfDigit&) const = default;
};

// The peer's screen share (sdp_stream_metadata purpose m.screenshare, a video m-line of its own): its frames began to
// arrive (active) or it ended; the call goes on either way.
struct PeerScreenshare {
  CallRef call;
  std::string stream_id;
  bool active = false;
  bool operator==(const PeerScreenshare&) const = default;
};

using Output = std::variant<SendEvent, MediaCommand, CallUpdate, Ignored, ActionRefused, PeerMuted, PeerHeld,
                            CallFeature, DtmfDigit, PeerScreenshare>;

}  // namespace mxcall::protocol
