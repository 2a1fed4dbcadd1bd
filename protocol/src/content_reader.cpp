// Reading the `content` of each call event type. The receive rules are in the digest, sections 2, 3 and 8.
#include "content_reader.hpp"

namespace mxcall::protocol::detail {
namespace {

constexpr std::string_view kStableMetadataKey = "sdp_stream_metadata";
constexpr std::string_view kUnstableMetadataKey = "org.matrix.msc3077.sdp_stream_metadata";

bool read_version(JsonInput& in, dom::element v, const Path& path, Version& out) {
  switch (v.type()) {
    case dom::element_type::STRING: {
      std::string_view text;
      in.string(v, path, text);
      out = Version{Version::Form::string, text, 0, false};
      return true;
    }
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
    case dom::element_type::DOUBLE: {
      double number = v.is_int64()    ? static_cast<double>(v.get_int64().value_unsafe())
                      : v.is_uint64() ? static_cast<double>(v.get_uint64().value_unsafe())
                                      : v.get_double().value_unsafe();
      out = Version{Version::Form::number, {}, number, number == 0.0};
      return true;
    }
    case dom::element_type::NULL_VALUE: out = Version{Version::Form::absent, {}, 0, false}; return true;
    default: return in.fail(path, "expected a string or a number, got " + std::string(json_type_name(v.type())));
  }
}

// Handles call_id, party_id and version; returns true with `handled` false for any other key.
bool common_field(JsonInput& in, std::string_view key, dom::element v, const Path& path, CallCommon& common,
                  bool& saw_call_id, bool& handled) {
  handled = true;
  if (key == "call_id") {
    saw_call_id = true;
    return in.string(v, path.child(key), common.call_id);
  }
  if (key == "party_id") return in.optional_nonempty_string(v, path.child(key), common.party_id);
  if (key == "version") return read_version(in, v, path.child(key), common.version);
  handled = false;
  return true;
}

bool read_description(JsonInput& in, dom::element v, const Path& path, SessionDescription& out) {
  dom::object obj;
  if (!in.object(v, path, obj)) return false;
  bool saw_sdp = false;
  out = {};
  if (!in.fields(obj, [&](std::string_view key, dom::element child) {
        if (key == "sdp") {
          saw_sdp = true;
          return in.string(child, path.child(key), out.sdp);
        }
        if (key == "type") {
          // Rule 16: the type is passed to WebRTC as it is, so only its JSON type is checked.
          std::optional<std::string_view> type;
          if (!in.optional_string(child, path.child(key), type)) return false;
          out.type = type.value_or(std::string_view{});
          return true;
        }
        return true;
      })) {
    return false;
  }
  if (!saw_sdp) return in.fail(path.child("sdp"), "missing (the session description has no SDP)");
  return true;
}

bool read_stream_metadata(JsonInput& in, dom::element v, const Path& path, StreamMetadataMap& out) {
  dom::object obj;
  if (!in.object(v, path, obj)) return false;
  out.clear();
  return in.fields(obj, [&](std::string_view stream_id, dom::element entry) {
    Path entry_path = path.child(stream_id);
    dom::object entry_obj;
    if (!in.object(entry, entry_path, entry_obj)) return false;
    StreamMetadata meta;
    bool saw_purpose = false;
    if (!in.fields(entry_obj, [&](std::string_view key, dom::element field) {
          if (key == "purpose") {
            saw_purpose = true;
            return in.string(field, entry_path.child(key), meta.purpose);
          }
          if (key == "audio_muted") return in.boolean(field, entry_path.child(key), meta.audio_muted);
          if (key == "video_muted") return in.boolean(field, entry_path.child(key), meta.video_muted);
          return true;
        })) {
      return false;
    }
    if (!saw_purpose) return in.fail(entry_path.child("purpose"), "missing (every stream needs a purpose)");
    out.emplace_back(stream_id, meta);
    return true;
  });
}

// MSC2747: anything but a boolean true means "not supported", so nothing in here can make the event invalid except
// broken JSON.
bool read_capabilities(JsonInput& in, dom::element v, const Path&, std::optional<Capabilities>& out) {
  dom::object obj;
  if (v.get_object().get(obj)) return true;  // not an object: no capabilities
  Capabilities caps;
  in.fields(obj, [&](std::string_view key, dom::element field) {
    bool* flag = key == "m.call.transferee" ? &caps.transferee : key == "m.call.dtmf" ? &caps.dtmf : nullptr;
    if (flag != nullptr) *flag = field.is_bool() && field.get_bool().value_unsafe();
    return true;
  });
  out = caps;
  return true;
}

bool read_candidate(JsonInput& in, dom::element v, const Path& path, Candidate& out) {
  dom::object obj;
  if (!in.object(v, path, obj)) return false;
  bool saw_candidate = false;
  if (!in.fields(obj, [&](std::string_view key, dom::element field) {
        if (key == "candidate") {
          saw_candidate = true;
          return in.string(field, path.child(key), out.candidate);
        }
        if (key == "sdpMid") return in.optional_nonempty_string(field, path.child(key), out.sdp_mid);
        if (key == "sdpMLineIndex") {
          if (field.is_null()) {
            in.note_leniency(path.child(key), "null (a sender leaves the field out instead)");
            return true;
          }
          return in.index(field, path.child(key), out.sdp_mline_index);
        }
        return true;
      })) {
    return false;
  }
  if (!saw_candidate) return in.fail(path.child("candidate"), "missing (use \"\" for end-of-candidates)");
  return true;
}

bool read_candidates_array(JsonInput& in, dom::element v, const Path& path, std::vector<Candidate>& out) {
  dom::array arr;
  if (!in.array(v, path, arr)) return false;
  out.clear();
  out.reserve(8);  // one allocation covers nearly every batch browsers send
  std::size_t i = 0;
  for (dom::element item : arr) {
    Candidate candidate;
    if (!read_candidate(in, item, path.element(i), candidate)) return false;
    out.push_back(candidate);
    ++i;
  }
  return true;
}

bool read_target_user(JsonInput& in, dom::element v, const Path& path, TargetUser& out) {
  dom::object obj;
  if (!in.object(v, path, obj)) return false;
  bool saw_id = false;
  if (!in.fields(obj, [&](std::string_view key, dom::element field) {
        if (key == "id") {
          saw_id = true;
          return in.string(field, path.child(key), out.id);
        }
        if (key == "display_name") return in.optional_string(field, path.child(key), out.display_name);
        if (key == "avatar_url") return in.optional_string(field, path.child(key), out.avatar_url);
        return true;
      })) {
    return false;
  }
  if (!saw_id) return in.fail(path.child("id"), "missing (the transfer target needs a user id)");
  return true;
}

bool read_identity(JsonInput& in, dom::element v, const Path& path, std::optional<AssertedIdentityInfo>& out) {
  if (v.is_null()) {
    out.reset();
    return true;
  }
  dom::object obj;
  if (!in.object(v, path, obj)) return false;
  AssertedIdentityInfo info;
  if (!in.fields(obj, [&](std::string_view key, dom::element field) {
        if (key == "id") return in.optional_string(field, path.child(key), info.id);
        if (key == "display_name") return in.optional_string(field, path.child(key), info.display_name);
        if (key == "avatar_url") return in.optional_string(field, path.child(key), info.avatar_url);
        return true;
      })) {
    return false;
  }
  // A3: {} means the same as null, "revert to the room identity".
  if (info == AssertedIdentityInfo{}) {
    out.reset();
  } else {
    out = info;
  }
  return true;
}

// The per-type field handlers. Each returns false on error; `missing` names the first required field not seen.
struct Required {
  std::string_view name;
  std::string_view why;
  bool seen = false;
};

template <typename Content, typename OnField>
bool read_fields(JsonInput& in, dom::object obj, const Path& path, Content& content,
                 std::initializer_list<Required*> required, OnField&& on_field) {
  bool saw_call_id = false;
  content.common.version = Version{Version::Form::absent, {}, false};  // until the field says otherwise
  if (!in.fields(obj, [&](std::string_view key, dom::element v) {
        bool handled = false;
        if (!common_field(in, key, v, path, content.common, saw_call_id, handled)) return false;
        if (handled) return true;
        return on_field(key, v);
      })) {
    return false;
  }
  if (!saw_call_id) return in.fail(path.child("call_id"), "missing (every call event needs one)");
  if (content.common.call_id.empty()) return in.fail(path.child("call_id"), "empty");
  for (const Required* r : required) {
    if (!r->seen) return in.fail(path.child(r->name), "missing (" + std::string(r->why) + ")");
  }
  return true;
}

// Picks the stable metadata key, falling back to MSC3077's unstable one (mautrix-go sends only that).
void settle_metadata(std::optional<StreamMetadataMap>& stable, std::optional<StreamMetadataMap>& unstable) {
  if (!stable && unstable) stable = std::move(unstable);
}

bool metadata_field(JsonInput& in, std::string_view key, dom::element v, const Path& path,
                    std::optional<StreamMetadataMap>& stable, std::optional<StreamMetadataMap>& unstable,
                    bool& handled) {
  handled = true;
  std::optional<StreamMetadataMap>* target = key == kStableMetadataKey     ? &stable
                                             : key == kUnstableMetadataKey ? &unstable
                                                                           : nullptr;
  if (target == nullptr) {
    handled = false;
    return true;
  }
  if (v.is_null()) {
    in.note_leniency(path.child(key), "null (a sender leaves the field out instead)");
    return true;
  }
  StreamMetadataMap map;
  if (!read_stream_metadata(in, v, path.child(key), map)) return false;
  *target = std::move(map);
  return true;
}

}  // namespace

bool read_content(JsonInput& in, EventKind kind, dom::element v, CallContent& out) {
  const Path root;
  const Path path = root.child("content");
  dom::object obj;
  if (!in.object(v, path, obj)) return false;
  auto skip = [](std::string_view, dom::element) { return true; };  // unknown keys are ignored

  switch (kind) {
    case EventKind::invite: {
      Invite c;
      Required offer{"offer", "an invite must carry the offer"},
          lifetime{"lifetime", "an invite must say how long it rings"};
      std::optional<StreamMetadataMap> unstable;
      if (!read_fields(in, obj, path, c, {&offer, &lifetime}, [&](std::string_view key, dom::element f) {
            bool handled = false;
            if (!metadata_field(in, key, f, path, c.sdp_stream_metadata, unstable, handled)) return false;
            if (handled) return true;
            if (key == "offer") return offer.seen = true, read_description(in, f, path.child(key), c.offer);
            if (key == "lifetime") return lifetime.seen = true, in.duration_ms(f, path.child(key), c.lifetime_ms);
            if (key == "invitee") return in.optional_nonempty_string(f, path.child(key), c.invitee);
            if (key == "capabilities") return read_capabilities(in, f, path.child(key), c.capabilities);
            return skip(key, f);
          })) {
        return false;
      }
      settle_metadata(c.sdp_stream_metadata, unstable);
      out = std::move(c);
      return true;
    }
    case EventKind::candidates: {
      Candidates c;
      Required list{"candidates", "the event exists to carry them"};
      if (!read_fields(in, obj, path, c, {&list}, [&](std::string_view key, dom::element f) {
            if (key == "candidates")
              return list.seen = true, read_candidates_array(in, f, path.child(key), c.candidates);
            return skip(key, f);
          })) {
        return false;
      }
      out = std::move(c);
      return true;
    }
    case EventKind::answer: {
      Answer c;
      Required answer{"answer", "an answer must carry the SDP answer"};
      std::optional<StreamMetadataMap> unstable;
      if (!read_fields(in, obj, path, c, {&answer}, [&](std::string_view key, dom::element f) {
            bool handled = false;
            if (!metadata_field(in, key, f, path, c.sdp_stream_metadata, unstable, handled)) return false;
            if (handled) return true;
            if (key == "answer") return answer.seen = true, read_description(in, f, path.child(key), c.answer);
            if (key == "capabilities") return read_capabilities(in, f, path.child(key), c.capabilities);
            return skip(key, f);
          })) {
        return false;
      }
      settle_metadata(c.sdp_stream_metadata, unstable);
      out = std::move(c);
      return true;
    }
    case EventKind::select_answer: {
      SelectAnswer c;
      Required selected{"selected_party_id", "it names the chosen party"};
      if (!read_fields(in, obj, path, c, {&selected}, [&](std::string_view key, dom::element f) {
            if (key == "selected_party_id") {
              return selected.seen = true, in.string(f, path.child(key), c.selected_party_id);
            }
            return skip(key, f);
          })) {
        return false;
      }
      out = std::move(c);
      return true;
    }
    case EventKind::reject: {
      Reject c;
      if (!read_fields(in, obj, path, c, {}, [&](std::string_view key, dom::element f) {
            if (key == "reason") return in.optional_string(f, path.child(key), c.reason);
            return skip(key, f);
          })) {
        return false;
      }
      out = std::move(c);
      return true;
    }
    case EventKind::negotiate: {
      Negotiate c;
      Required description{"description", "a negotiate carries an offer or an answer"};
      Required lifetime{"lifetime", "a negotiate must say how long it is valid"};
      std::optional<StreamMetadataMap> unstable;
      if (!read_fields(in, obj, path, c, {&description, &lifetime}, [&](std::string_view key, dom::element f) {
            bool handled = false;
            if (!metadata_field(in, key, f, path, c.sdp_stream_metadata, unstable, handled)) return false;
            if (handled) return true;
            if (key == "description") {
              return description.seen = true, read_description(in, f, path.child(key), c.description);
            }
            if (key == "lifetime") return lifetime.seen = true, in.duration_ms(f, path.child(key), c.lifetime_ms);
            if (key == "capabilities") return read_capabilities(in, f, path.child(key), c.capabilities);
            return skip(key, f);
          })) {
        return false;
      }
      settle_metadata(c.sdp_stream_metadata, unstable);
      out = std::move(c);
      return true;
    }
    case EventKind::sdp_stream_metadata_changed: {
      SdpStreamMetadataChanged c;
      std::optional<StreamMetadataMap> stable, unstable;
      if (!read_fields(in, obj, path, c, {}, [&](std::string_view key, dom::element f) {
            bool handled = false;
            if (!metadata_field(in, key, f, path, stable, unstable, handled)) return false;
            return handled || skip(key, f);
          })) {
        return false;
      }
      settle_metadata(stable, unstable);
      if (!stable) return in.fail(path.child(kStableMetadataKey), "missing (the event exists to carry it)");
      c.sdp_stream_metadata = std::move(*stable);
      out = std::move(c);
      return true;
    }
    case EventKind::hangup: {
      Hangup c;
      std::optional<std::string_view> reason;
      if (!read_fields(in, obj, path, c, {}, [&](std::string_view key, dom::element f) {
            if (key == "reason") return in.optional_string(f, path.child(key), reason);
            return skip(key, f);
          })) {
        return false;
      }
      // Rule 49: a missing reason is user_hangup. An empty one is treated the same way.
      if (reason && reason->empty()) in.note_leniency(path.child("reason"), "an empty string (send user_hangup)");
      c.reason_present = reason.has_value() && !reason->empty();
      c.reason_text = c.reason_present ? *reason : std::string_view("user_hangup");
      out = std::move(c);
      return true;
    }
    case EventKind::replaces: {
      Replaces c;
      Required replacement{"replacement_id", "it identifies the transfer"};
      Required target{"target_user", "it names who the call is transferred to"};
      if (!read_fields(in, obj, path, c, {&replacement, &target}, [&](std::string_view key, dom::element f) {
            if (key == "replacement_id")
              return replacement.seen = true, in.string(f, path.child(key), c.replacement_id);
            if (key == "target_user")
              return target.seen = true, read_target_user(in, f, path.child(key), c.target_user);
            if (key == "target_room") return in.optional_nonempty_string(f, path.child(key), c.target_room);
            if (key == "create_call") return in.optional_nonempty_string(f, path.child(key), c.create_call);
            if (key == "await_call") return in.optional_nonempty_string(f, path.child(key), c.await_call);
            return skip(key, f);
          })) {
        return false;
      }
      if (c.create_call.has_value() == c.await_call.has_value()) {
        return in.fail(path.child("create_call"), c.create_call ? "and await_call are both set; exactly one must be"
                                                                : "missing, and so is await_call; one must be set");
      }
      out = std::move(c);
      return true;
    }
    case EventKind::reject_replacement: {
      RejectReplacement c;
      Required replacement{"replacement_id", "it names the refused transfer"};
      Required reason{"reason", "it says why the transfer was refused"};
      if (!read_fields(in, obj, path, c, {&replacement, &reason}, [&](std::string_view key, dom::element f) {
            if (key == "replacement_id")
              return replacement.seen = true, in.string(f, path.child(key), c.replacement_id);
            if (key == "reason") return reason.seen = true, in.string(f, path.child(key), c.reason);
            if (key == "call_failure_reason") return in.optional_string(f, path.child(key), c.call_failure_reason);
            return skip(key, f);
          })) {
        return false;
      }
      out = std::move(c);
      return true;
    }
    case EventKind::asserted_identity: {
      AssertedIdentity c;
      Required identity{"asserted_identity", "an object, or null to revert"};
      if (!read_fields(in, obj, path, c, {&identity}, [&](std::string_view key, dom::element f) {
            if (key == "asserted_identity") {
              return identity.seen = true, read_identity(in, f, path.child(key), c.asserted_identity);
            }
            return skip(key, f);
          })) {
        return false;
      }
      out = std::move(c);
      return true;
    }
  }
  return in.fail(path, "unknown event kind");
}

}  // namespace mxcall::protocol::detail
