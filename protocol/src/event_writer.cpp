#include "mxcall/protocol/event_writer.hpp"

#include "mxcall/protocol/event_types.hpp"
#include "mxcall/protocol/json_writer.hpp"
#include "mxcall/protocol/send_rules.hpp"

namespace mxcall::protocol {
namespace {

constexpr std::string_view kStableMetadataKey = "sdp_stream_metadata";
constexpr std::string_view kUnstableMetadataKey = "org.matrix.msc3077.sdp_stream_metadata";

// Field names are the protocol's own ASCII literals; only stream ids (map keys a peer chose) go through key().
void key(JsonWriter& w, std::string_view k) { w.plain_key(k); }
void field(JsonWriter& w, std::string_view k, std::string_view v) { w.plain_key(k).string(v); }
void optional_field(JsonWriter& w, std::string_view k, const std::optional<std::string_view>& v) {
  if (v) w.field(k, *v);
}

void write_description(JsonWriter& w, std::string_view name, const SessionDescription& d) {
  key(w, name);
  w.start_object();
  field(w, "type", d.type);
  field(w, "sdp", d.sdp);
  w.end_object();
}

void write_metadata_map(JsonWriter& w, const StreamMetadataMap& map) {
  w.start_object();
  for (const auto& [stream_id, meta] : map) {
    w.key(stream_id);
    w.start_object();
    field(w, "purpose", meta.purpose);
    key(w, "audio_muted");
    w.boolean(meta.audio_muted);
    key(w, "video_muted");
    w.boolean(meta.video_muted);
    w.end_object();
  }
  w.end_object();
}

void write_metadata(JsonWriter& w, const StreamMetadataMap& map) {
  key(w, kStableMetadataKey);
  write_metadata_map(w, map);
  key(w, kUnstableMetadataKey);
  write_metadata_map(w, map);
}

void write_optional_metadata(JsonWriter& w, const std::optional<StreamMetadataMap>& map) {
  if (map) write_metadata(w, *map);
}

void write_capabilities(JsonWriter& w, const std::optional<Capabilities>& caps) {
  if (!caps) return;
  key(w, "capabilities");
  w.start_object();
  key(w, "m.call.transferee");
  w.boolean(caps->transferee);
  key(w, "m.call.dtmf");
  w.boolean(caps->dtmf);
  w.end_object();
}

void write_optional_string_object(
    JsonWriter& w, std::initializer_list<std::pair<std::string_view, const std::optional<std::string_view>*>> fields) {
  w.start_object();
  for (const auto& [name, value] : fields) optional_field(w, name, *value);
  w.end_object();
}

void write_fields(JsonWriter& w, const CallContent& content) {
  const CallCommon& common = common_of(content);
  field(w, "call_id", common.call_id);
  field(w, "party_id", *common.party_id);
  field(w, "version", "1");
  std::visit(
      [&](const auto& c) {
        using T = std::remove_cvref_t<decltype(c)>;
        if constexpr (std::is_same_v<T, Invite>) {
          write_description(w, "offer", c.offer);
          key(w, "lifetime");
          w.uint(c.lifetime_ms);
          optional_field(w, "invitee", c.invitee);
          write_optional_metadata(w, c.sdp_stream_metadata);
          write_capabilities(w, c.capabilities);
        } else if constexpr (std::is_same_v<T, Candidates>) {
          key(w, "candidates");
          w.start_array();
          for (const Candidate& cand : c.candidates) {
            w.start_object();
            field(w, "candidate", cand.candidate);
            optional_field(w, "sdpMid", cand.sdp_mid);
            if (cand.sdp_mline_index) {
              key(w, "sdpMLineIndex");
              w.uint(*cand.sdp_mline_index);
            }
            w.end_object();
          }
          w.end_array();
        } else if constexpr (std::is_same_v<T, Answer>) {
          write_description(w, "answer", c.answer);
          write_optional_metadata(w, c.sdp_stream_metadata);
          write_capabilities(w, c.capabilities);
        } else if constexpr (std::is_same_v<T, SelectAnswer>) {
          field(w, "selected_party_id", c.selected_party_id);
        } else if constexpr (std::is_same_v<T, Reject>) {
          optional_field(w, "reason", c.reason);  // user_busy only (check_send_rules), read by matrix-js-sdk
        } else if constexpr (std::is_same_v<T, Negotiate>) {
          write_description(w, "description", c.description);
          key(w, "lifetime");
          w.uint(c.lifetime_ms);
          write_optional_metadata(w, c.sdp_stream_metadata);
          write_capabilities(w, c.capabilities);
        } else if constexpr (std::is_same_v<T, SdpStreamMetadataChanged>) {
          write_metadata(w, c.sdp_stream_metadata);
        } else if constexpr (std::is_same_v<T, Hangup>) {
          field(w, "reason", c.reason_text);
        } else if constexpr (std::is_same_v<T, Replaces>) {
          field(w, "replacement_id", c.replacement_id);
          optional_field(w, "target_room", c.target_room);
          key(w, "target_user");
          w.start_object();
          field(w, "id", c.target_user.id);
          optional_field(w, "display_name", c.target_user.display_name);
          optional_field(w, "avatar_url", c.target_user.avatar_url);
          w.end_object();
          optional_field(w, "create_call", c.create_call);
          optional_field(w, "await_call", c.await_call);
        } else if constexpr (std::is_same_v<T, RejectReplacement>) {
          field(w, "replacement_id", c.replacement_id);
          field(w, "reason", c.reason);
          optional_field(w, "call_failure_reason", c.call_failure_reason);
        } else if constexpr (std::is_same_v<T, AssertedIdentity>) {
          key(w, "asserted_identity");
          if (!c.asserted_identity) {
            w.null();
          } else {
            const auto& id = *c.asserted_identity;
            write_optional_string_object(
                w, {{"id", &id.id}, {"display_name", &id.display_name}, {"avatar_url", &id.avatar_url}});
          }
        }
      },
      content);
}

}  // namespace

std::optional<FieldError> write_content(const CallContent& content, std::string& out, PeerIds peer_ids) {
  out.clear();
  if (auto e = check_send_rules(content, VersionCheck::skip, peer_ids)) return e;
  out.reserve(512);
  JsonWriter w(out);
  w.start_object();
  write_fields(w, content);
  w.end_object();
  return std::nullopt;
}

std::optional<FieldError> write_room_event(const RoomEvent& event, std::string& out) {
  out.clear();
  if (auto e = check_send_rules(event.content, VersionCheck::skip)) return e;
  JsonWriter w(out);
  w.start_object();
  field(w, "type", type_name(static_cast<EventKind>(event.content.index())));
  field(w, "sender", event.sender);
  if (!event.room_id.empty()) field(w, "room_id", event.room_id);
  if (!event.event_id.empty()) field(w, "event_id", event.event_id);
  if (event.origin_server_ts) {
    key(w, "origin_server_ts");
    w.integer(*event.origin_server_ts);
  }
  if (event.age_ms) {
    key(w, "unsigned");
    w.start_object();
    key(w, "age");
    w.integer(*event.age_ms);
    w.end_object();
  }
  key(w, "content");
  w.start_object();
  write_fields(w, event.content);
  w.end_object();
  w.end_object();
  return std::nullopt;
}

}  // namespace mxcall::protocol
