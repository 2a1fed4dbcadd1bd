// What the call engine tells the media engine (MediaCommand) and what the media engine reports back (MediaEvent).
// Plain owning data: commands outlive the input that caused them, and events cross from media threads to the loop.
// The protocol layer never sees GStreamer; media/ maps these onto a MediaSession.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mxcall::protocol {

// A call as the router knows it: call ids are only unique within a room.
struct CallRef {
  std::string room_id;
  std::string call_id;
  auto operator<=>(const CallRef&) const = default;
};

// Transceiver direction, as in WebRTC. Hold is sendonly on the holder's side (rule 56, as matrix-js-sdk does it).
enum class Direction : std::uint8_t { sendrecv, sendonly, recvonly, inactive };
std::string_view to_string(Direction direction);

struct MediaWants {
  bool audio = true;
  bool video = false;
  bool operator==(const MediaWants&) const = default;
};

namespace media_op {
// Offer for a new call, or a renegotiation offer (hold, resume, upgrade, ICE restart) on an existing session.
struct CreateOffer {
  MediaWants media;
  std::string stream_id;  // the msid stream id; sdp_stream_metadata names it
  bool ice_restart = false;
  // Non-empty: we share a screen, as a video m-line of its own with this msid stream id (metadata purpose
  // m.screenshare). Empty after a share: that m-line stops sending.
  std::string screenshare_stream_id = {};
  bool operator==(const CreateOffer&) const = default;
};
// Answer the remote offer last given with SetRemoteDescription.
struct CreateAnswer {
  MediaWants media;
  std::string stream_id;
  bool operator==(const CreateAnswer&) const = default;
};
struct SetRemoteDescription {
  std::string type;  // "offer" or "answer", passed as received (rule 16)
  std::string sdp;
  // The msid stream ids the peer's sdp_stream_metadata names as m.screenshare (rule 64): their video is received
  // as a screen share of its own, apart from the camera.
  std::vector<std::string> screenshare_streams = {};
  bool operator==(const SetRemoteDescription&) const = default;
};
struct AddRemoteCandidate {
  std::string candidate;
  std::optional<std::string> sdp_mid;
  std::optional<std::uint32_t> sdp_mline_index;
  bool operator==(const AddRemoteCandidate&) const = default;
};
// The peer's end-of-candidates marker. A signal only: never fed to the ICE agent as a candidate.
struct EndOfRemoteCandidates {
  bool operator==(const EndOfRemoteCandidates&) const = default;
};
struct SetDirection {
  Direction direction = Direction::sendrecv;
  bool operator==(const SetDirection&) const = default;
};
// Stops or restarts sending without renegotiation; signalled to the peer with sdp_stream_metadata_changed.
struct SetMuted {
  bool audio = false;
  bool video = false;
  bool operator==(const SetMuted&) const = default;
};
struct RestartIce {
  bool operator==(const RestartIce&) const = default;
};
// Sends DTMF digits in band as RFC 4733 telephone-events, one after another, as RTCDTMFSender does: each lasts
// duration_ms, with gap_ms of silence between them ("," is a 2 s pause). Digits were checked by the call engine.
struct SendDtmf {
  std::string digits;  // of 0-9 * # A-D and ","
  std::uint32_t duration_ms = 100;
  std::uint32_t gap_ms = 70;
  bool operator==(const SendDtmf&) const = default;
};
struct Close {
  bool operator==(const Close&) const = default;
};
}  // namespace media_op

using MediaOp = std::variant<media_op::CreateOffer, media_op::CreateAnswer, media_op::SetRemoteDescription,
                             media_op::AddRemoteCandidate, media_op::EndOfRemoteCandidates, media_op::SetDirection,
                             media_op::SetMuted, media_op::RestartIce, media_op::Close, media_op::SendDtmf>;

// "create_offer", "create_answer", "set_remote", "add_candidate", "end_of_candidates", "set_direction",
// "set_muted", "restart_ice", "close", "send_dtmf": the names `mxcall replay` prints.
std::string_view op_name(const MediaOp& op);

struct MediaCommand {
  CallRef call;
  MediaOp op;
  bool operator==(const MediaCommand&) const = default;
};

enum class IceState : std::uint8_t { checking, connected, disconnected, failed, closed };
std::string_view to_string(IceState state);

// Why the media side cannot go on. The engine maps these to hangup reasons.
enum class MediaFailure : std::uint8_t {
  local_media,         // no microphone/camera/source: user_media_failed
  remote_description,  // the peer's SDP is unusable (garbage, no audio, no common codec): unknown_error
  local_description,   // we could not create an offer or answer: unknown_error
  internal,            // anything else: unknown_error
};
std::string_view to_string(MediaFailure failure);

namespace media_event {
struct LocalDescription {
  std::string type;  // "offer" or "answer"
  std::string sdp;
  bool operator==(const LocalDescription&) const = default;
};
struct LocalCandidate {
  std::string candidate;
  std::optional<std::string> sdp_mid;
  std::optional<std::uint32_t> sdp_mline_index;
  bool operator==(const LocalCandidate&) const = default;
};
struct GatheringComplete {
  bool operator==(const GatheringComplete&) const = default;
};
struct IceStateChanged {
  IceState state = IceState::checking;
  bool operator==(const IceStateChanged&) const = default;
};
struct Failed {
  MediaFailure failure = MediaFailure::internal;
  std::string detail;  // one line for logs and the user
  bool operator==(const Failed&) const = default;
};
// The peer's screen share started (its frames arrive) or ended (its m-line stopped sending, or left the metadata).
struct RemoteScreenshare {
  std::string stream_id;
  bool active = false;
  bool operator==(const RemoteScreenshare&) const = default;
};
// A DTMF digit the peer sent in band (RFC 4733 telephone-event), reported once the event ended.
struct DtmfReceived {
  char digit = '0';               // 0-9 * # A-D
  std::uint32_t duration_ms = 0;  // how long the peer held it, from the event's own duration field
  bool operator==(const DtmfReceived&) const = default;
};
}  // namespace media_event

using MediaEventKind = std::variant<media_event::LocalDescription, media_event::LocalCandidate,
                                    media_event::GatheringComplete, media_event::IceStateChanged, media_event::Failed,
                                    media_event::DtmfReceived, media_event::RemoteScreenshare>;

struct MediaEvent {
  CallRef call;
  MediaEventKind event;
  bool operator==(const MediaEvent&) const = default;
};

}  // namespace mxcall::protocol
