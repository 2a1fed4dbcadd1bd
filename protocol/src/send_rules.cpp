#include "mxcall/protocol/send_rules.hpp"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cstdio>

#include "content_strings.hpp"
#include "mxcall/protocol/overloaded.hpp"
#include "opaque_id.hpp"

namespace mxcall::protocol {
namespace {

using Error = std::optional<FieldError>;

Error error(std::string_view field, std::string reason) {
  return FieldError{"content." + std::string(field), std::move(reason)};
}

constexpr std::string_view kIdGrammar = "must be 1-255 characters of [0-9A-Za-z._~-] (rule 8)";

// JSON allows \u0000 in a string, but SDP text may not hold NUL (RFC 8866 section 5), and a NUL cuts C strings
// short on the way to the media engine: what is checked is not what would be used.
bool has_nul(std::string_view text) { return text.find('\0') != std::string_view::npos; }
constexpr const char* kNulReason = "holds a NUL character (\\u0000), which SDP text may not contain";

// An id a peer made up: echoed back verbatim, so only what any id needs.
bool is_echoable_id(std::string_view id) { return !id.empty() && id.size() <= 255; }

Error check_common(const CallCommon& common, VersionCheck version, PeerIds peer_ids) {
  bool call_id_ok = peer_ids == PeerIds::verbatim ? is_echoable_id(common.call_id) : is_opaque_id(common.call_id);
  if (!call_id_ok) return error("call_id", std::string(kIdGrammar));
  if (!common.party_id) return error("party_id", "missing (rule 10: every event carries the sender's party_id)");
  if (!is_opaque_id(*common.party_id)) return error("party_id", std::string(kIdGrammar));
  if (version == VersionCheck::check) {
    const Version& v = common.version;
    if (v.form == Version::Form::absent) return error("version", "missing (rule 1: send the string \"1\")");
    if (v.form == Version::Form::number) {
      char number[32];
      std::snprintf(number, sizeof number, "%g", v.number);
      return error("version", "is the number " + std::string(number) + "; send the string \"1\" (rule 1)");
    }
    if (v.text != "1") return error("version", "is \"" + std::string(v.text) + "\"; this is VoIP version \"1\"");
  }
  return std::nullopt;
}

Error check_description(std::string_view field, const SessionDescription& d,
                        std::initializer_list<std::string_view> types) {
  bool type_ok = false;
  for (auto t : types) type_ok = type_ok || d.type == t;
  if (!type_ok) {
    std::string allowed;
    for (auto t : types) allowed += (allowed.empty() ? "\"" : " or \"") + std::string(t) + "\"";
    return error(std::string(field) + ".type", d.type.empty()
                                                   ? "missing (must be " + allowed + ", rule 16)"
                                                   : "is \"" + std::string(d.type) + "\", must be " + allowed);
  }
  if (d.sdp.empty()) return error(std::string(field) + ".sdp", "empty");
  if (has_nul(d.sdp)) return error(std::string(field) + ".sdp", kNulReason);
  return std::nullopt;
}

Error check_metadata(const StreamMetadataMap& map) {
  for (const auto& [stream_id, meta] : map) {
    std::string field = "sdp_stream_metadata." + std::string(stream_id);
    if (stream_id.empty()) return error("sdp_stream_metadata", "has an empty stream id");
    if (has_nul(stream_id)) return error("sdp_stream_metadata", "has a stream id with a NUL character (\\u0000)");
    if (meta.purpose != kPurposeUserMedia && meta.purpose != kPurposeScreenshare) {
      return error(field + ".purpose",
                   "is \"" + std::string(meta.purpose) + "\", must be m.usermedia or m.screenshare");
    }
  }
  return std::nullopt;
}

Error check_optional_metadata(const std::optional<StreamMetadataMap>& map) {
  return map ? check_metadata(*map) : std::nullopt;
}

Error check_candidates(const Candidates& c) {
  if (c.candidates.empty()) return error("candidates", "empty (send one or more candidates)");
  for (std::size_t i = 0; i < c.candidates.size(); ++i) {
    const Candidate& cand = c.candidates[i];
    std::string field = "candidates[" + std::to_string(i) + "]";
    if (cand.sdp_mid && cand.sdp_mid->empty()) return error(field + ".sdpMid", "empty; leave it out instead");
    if (has_nul(cand.candidate)) return error(field + ".candidate", kNulReason);
    if (cand.sdp_mid && has_nul(*cand.sdp_mid)) return error(field + ".sdpMid", kNulReason);
    if (!cand.is_end_of_candidates() && !cand.sdp_mid && !cand.sdp_mline_index) {
      return error(field, "has neither sdpMid nor sdpMLineIndex (rule 34)");
    }
  }
  return std::nullopt;
}

Error check_replaces(const Replaces& c) {
  if (c.replacement_id.empty()) return error("replacement_id", "empty");
  if (!is_user_id(c.target_user.id)) return error("target_user.id", "is not a Matrix user id (@user:server)");
  if (c.create_call.has_value() == c.await_call.has_value()) {
    return error("create_call", "exactly one of create_call and await_call must be set");
  }
  const auto& new_call = c.create_call ? *c.create_call : *c.await_call;
  if (!is_opaque_id(new_call)) return error(c.create_call ? "create_call" : "await_call", std::string(kIdGrammar));
  if (c.target_room && c.target_room->empty()) return error("target_room", "empty; leave it out instead");
  return std::nullopt;
}

Error check_reject_replacement(const RejectReplacement& c) {
  constexpr std::array<std::string_view, 4> kReasons = {"declined", "failed_room_invite", "failed_call_invite",
                                                        "failed_call"};
  if (c.replacement_id.empty()) return error("replacement_id", "empty");
  bool known = false;
  for (auto r : kReasons) known = known || r == c.reason;
  if (!known) return error("reason", "is \"" + std::string(c.reason) + "\", not one of MSC2747's reasons");
  if (c.call_failure_reason && c.reason != "failed_call") {
    return error("call_failure_reason", "only goes with reason failed_call");
  }
  return std::nullopt;
}

Error check_kind(const CallContent& content, PeerIds peer_ids) {
  return std::visit(
      Overloaded{
          [](const Invite& c) -> Error {
            if (auto e = check_description("offer", c.offer, {"offer"})) return e;
            if (c.invitee && !is_user_id(*c.invitee)) return error("invitee", "is not a Matrix user id (@user:server)");
            return check_optional_metadata(c.sdp_stream_metadata);
          },
          [](const Candidates& c) -> Error { return check_candidates(c); },
          [](const Answer& c) -> Error {
            if (auto e = check_description("answer", c.answer, {"answer"})) return e;
            return check_optional_metadata(c.sdp_stream_metadata);
          },
          [peer_ids](const SelectAnswer& c) -> Error {
            bool ok =
                peer_ids == PeerIds::verbatim ? is_echoable_id(c.selected_party_id) : is_opaque_id(c.selected_party_id);
            if (!ok) return error("selected_party_id", std::string(kIdGrammar));
            return std::nullopt;
          },
          [](const Reject& c) -> Error {
            // The spec's reject has no reason; matrix-js-sdk reads one as the caller's hangup reason, so busy is
            // the one we send (rule 50), and nothing else.
            if (c.reason && *c.reason != "user_busy") {
              return error("reason", "m.call.reject carries no reason but user_busy (digest 3.5, rule 50)");
            }
            return std::nullopt;
          },
          [](const Negotiate& c) -> Error {
            if (auto e = check_description("description", c.description, {"offer", "answer"})) return e;
            return check_optional_metadata(c.sdp_stream_metadata);
          },
          [](const SdpStreamMetadataChanged& c) -> Error { return check_metadata(c.sdp_stream_metadata); },
          [](const Hangup& c) -> Error {
            if (!c.reason_present)
              return error("reason", "missing (rule 49: v1 senders send it, user_hangup included)");
            if (!is_spec_hangup_reason(c.reason())) {
              return error("reason", "is \"" + std::string(c.reason_text) + "\", not one of the spec's hangup reasons");
            }
            return std::nullopt;
          },
          [](const Replaces& c) -> Error { return check_replaces(c); },
          [](const RejectReplacement& c) -> Error { return check_reject_replacement(c); },
          // MSC3086 leaves every field of the identity optional, and the common fields are checked already.
          [](const AssertedIdentity&) -> Error { return std::nullopt; },
      },
      content);
}

}  // namespace

std::optional<FieldError> check_send_rules(const CallContent& content, VersionCheck version, PeerIds peer_ids) {
  Error utf8_error;
  for_each_string(content, [&](std::string_view field, const std::string_view& value) {
    if (utf8_error) return;
    // Nearly every string is ASCII: that check is a few instructions, where simdjson's has a call's set-up.
    bool ascii = std::all_of(value.begin(), value.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    if (!ascii && !simdjson::validate_utf8(value.data(), value.size())) utf8_error = error(field, "is not valid UTF-8");
  });
  if (utf8_error) return utf8_error;
  if (auto e = check_common(common_of(content), version, peer_ids)) return e;
  return check_kind(content, peer_ids);
}

}  // namespace mxcall::protocol
