// Typed contents of every m.call.* room event (VoIP v1 with v0 understood, MSC2747 transfer, MSC3086 identity).
//
// Ownership: every string here is a std::string_view. Events produced by EventReader point into the reader's
// buffers and stay valid until its next read; contents built to be sent point at the caller's own strings and only
// need to live until write_content() returns. Anything kept longer (the call engine's state) is copied by its owner.
// This keeps reading a /sync batch free of per-field allocations (see ../shared/notes/json-perf.md: views are 1.5x
// faster than owning strings).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace mxcall::protocol {

// The `version` field as it was written. Only a numeric zero means v0 (rules 2-3); every other value, including the
// number 1, the string "0" and an absent field, is treated as v1, as matrix-js-sdk does.
struct Version {
  enum class Form : std::uint8_t { absent, number, string };
  Form form = Form::string;
  std::string_view text = "1";  // the string's value when form == string
  double number = 0;            // the number's value when form == number
  bool numeric_zero = false;    // form == number and the value is 0 (0, -0, 0.0): a legacy v0 peer

  bool is_v0() const { return numeric_zero; }
  bool is_v1() const { return !numeric_zero; }
  bool operator==(const Version&) const = default;

  static Version v1() { return {}; }
  static Version v0() { return {Form::number, {}, 0, true}; }
};

// RTCSessionDescriptionInit. `type` is kept as sent and not validated on receipt (rule 16).
struct SessionDescription {
  std::string_view type;
  std::string_view sdp;
  bool operator==(const SessionDescription&) const = default;
};

struct Candidate {
  std::string_view candidate;               // "" is the end-of-candidates marker (rule 32)
  std::optional<std::string_view> sdp_mid;  // a received "" reads as absent (Nheko sends it)
  std::optional<std::uint32_t> sdp_mline_index;
  bool is_end_of_candidates() const { return candidate.empty(); }
  bool operator==(const Candidate&) const = default;
};

// One entry of sdp_stream_metadata (v1.10, mute flags v1.11). `purpose` is kept as sent; unknown purposes are
// filtered by the call engine (rule 64), not by the reader.
struct StreamMetadata {
  std::string_view purpose;
  bool audio_muted = false;
  bool video_muted = false;
  bool operator==(const StreamMetadata&) const = default;
};
inline constexpr std::string_view kPurposeUserMedia = "m.usermedia";
inline constexpr std::string_view kPurposeScreenshare = "m.screenshare";

// Stream id -> metadata, in the order the sender wrote it. A handful of entries at most, so a vector beats a map.
using StreamMetadataMap = std::vector<std::pair<std::string_view, StreamMetadata>>;

// MSC2747 capabilities. Anything but a boolean true reads as "not supported".
struct Capabilities {
  bool transferee = false;
  bool dtmf = false;
  bool operator==(const Capabilities&) const = default;
};

// Fields every call event carries (section 2 of the digest).
struct CallCommon {
  std::string_view call_id;
  std::optional<std::string_view> party_id;  // absent on v0 events
  Version version;
  bool operator==(const CallCommon&) const = default;
};

struct Invite {
  CallCommon common;
  SessionDescription offer;
  std::uint64_t lifetime_ms = 0;
  std::optional<std::string_view> invitee;  // a received "" reads as absent (mtxclient writes it)
  std::optional<StreamMetadataMap> sdp_stream_metadata;
  std::optional<Capabilities> capabilities;
  bool operator==(const Invite&) const = default;
};

struct Candidates {
  CallCommon common;
  std::vector<Candidate> candidates;
  bool operator==(const Candidates&) const = default;
};

struct Answer {
  CallCommon common;
  SessionDescription answer;
  std::optional<StreamMetadataMap> sdp_stream_metadata;
  std::optional<Capabilities> capabilities;
  bool operator==(const Answer&) const = default;
};

struct SelectAnswer {
  CallCommon common;
  std::string_view selected_party_id;
  bool operator==(const SelectAnswer&) const = default;
};

// The spec's reject has no reason; js-sdk's type allows one, so a received one is kept (and never written).
struct Reject {
  CallCommon common;
  std::optional<std::string_view> reason;
  bool operator==(const Reject&) const = default;
};

struct Negotiate {
  CallCommon common;
  SessionDescription description;
  std::uint64_t lifetime_ms = 0;
  std::optional<StreamMetadataMap> sdp_stream_metadata;
  std::optional<Capabilities> capabilities;
  bool operator==(const Negotiate&) const = default;
};

struct SdpStreamMetadataChanged {
  CallCommon common;
  StreamMetadataMap sdp_stream_metadata;
  bool operator==(const SdpStreamMetadataChanged&) const = default;
};

// The hangup reasons the spec lists, plus the ones seen on the wire that a receiver must understand.
enum class HangupReason : std::uint8_t {
  ice_failed,
  ice_timeout,
  invite_timeout,
  user_hangup,
  user_media_failed,
  user_busy,
  unknown_error,
  // Not in the spec, sent by js-sdk (section 3.8 of the digest).
  replaced,
  answered_elsewhere,
  other,  // any other string, kept verbatim in Hangup::reason_text
};
HangupReason parse_hangup_reason(std::string_view text);
std::string_view to_string(HangupReason reason);  // "" for HangupReason::other
bool is_spec_hangup_reason(HangupReason reason);

struct Hangup {
  CallCommon common;
  std::string_view reason_text = "user_hangup";  // as sent; "user_hangup" when it was absent (rule 49)
  bool reason_present = true;
  HangupReason reason() const { return parse_hangup_reason(reason_text); }
  bool operator==(const Hangup&) const = default;
};

// MSC2747 (not in the spec): call transfer.
struct TargetUser {
  std::string_view id;
  std::optional<std::string_view> display_name;
  std::optional<std::string_view> avatar_url;
  bool operator==(const TargetUser&) const = default;
};

struct Replaces {
  CallCommon common;
  std::string_view replacement_id;
  std::optional<std::string_view> target_room;
  TargetUser target_user;
  std::optional<std::string_view> create_call;  // exactly one of create_call and await_call is set
  std::optional<std::string_view> await_call;
  bool operator==(const Replaces&) const = default;
};

struct RejectReplacement {
  CallCommon common;
  std::string_view replacement_id;
  std::string_view reason;  // declined, failed_room_invite, failed_call_invite, failed_call (kept as sent)
  std::optional<std::string_view> call_failure_reason;
  bool operator==(const RejectReplacement&) const = default;
};

// MSC3086 (not in the spec). An absent identity (JSON null or {}) means "revert to the room identity".
struct AssertedIdentityInfo {
  std::optional<std::string_view> id;
  std::optional<std::string_view> display_name;
  std::optional<std::string_view> avatar_url;
  bool operator==(const AssertedIdentityInfo&) const = default;
};

struct AssertedIdentity {
  CallCommon common;
  std::optional<AssertedIdentityInfo> asserted_identity;
  bool operator==(const AssertedIdentity&) const = default;
};

using CallContent = std::variant<Invite, Candidates, Answer, SelectAnswer, Reject, Negotiate, SdpStreamMetadataChanged,
                                 Hangup, Replaces, RejectReplacement, AssertedIdentity>;

const CallCommon& common_of(const CallContent& content);
CallCommon& common_of(CallContent& content);

// The room event around a content: what /sync delivers. room_id is absent inside /sync timelines (the caller
// supplies it from the rooms.join key); origin_server_ts and unsigned.age are optional because history APIs and
// tests do not always carry them.
struct RoomEvent {
  std::string_view type;  // as written: stable or unstable name
  std::string_view sender;
  std::string_view room_id;
  std::string_view event_id;
  std::optional<std::int64_t> origin_server_ts;
  std::optional<std::int64_t> age_ms;  // unsigned.age
  CallContent content;
  bool operator==(const RoomEvent&) const = default;
};

}  // namespace mxcall::protocol
