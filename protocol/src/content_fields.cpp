// The values call events share. The receive rules are in the digest, sections 2, 3 and 8.
#include "content_fields.hpp"

namespace mxcall::protocol::detail {
namespace {

bool read_stream_metadata(JsonInput& in, dom::element v, const Path& path, StreamMetadataMap& out) {
  dom::object obj;
  if (!in.object(v, path, obj)) return false;
  out.clear();
  return in.fields(obj, [&](std::string_view stream_id, dom::element entry) {
    Path entry_path = path.child(stream_id);
    dom::object entry_obj;
    if (!in.object(entry, entry_path, entry_obj)) return false;
    StreamMetadata meta;
    RequiredFields required{std::array{RequiredField{"purpose", "every stream needs a purpose"}}};
    if (!read_object(in, entry_obj, entry_path, required, [&](std::string_view key, dom::element field) {
          if (key == "purpose") return in.string(field, entry_path.child(key), meta.purpose);
          if (key == "audio_muted") return in.boolean(field, entry_path.child(key), meta.audio_muted);
          if (key == "video_muted") return in.boolean(field, entry_path.child(key), meta.video_muted);
          return true;
        })) {
      return false;
    }
    out.emplace_back(stream_id, meta);
    return true;
  });
}

bool read_candidate(JsonInput& in, dom::element v, const Path& path, Candidate& out) {
  dom::object obj;
  if (!in.object(v, path, obj)) return false;
  RequiredFields required{std::array{RequiredField{"candidate", "use \"\" for end-of-candidates"}}};
  return read_object(in, obj, path, required, [&](std::string_view key, dom::element field) {
    if (key == "candidate") return in.string(field, path.child(key), out.candidate);
    if (key == "sdpMid") return in.optional_nonempty_string(field, path.child(key), out.sdp_mid);
    if (key == "sdpMLineIndex") {
      if (field.is_null()) {
        in.note_leniency(path.child(key), "null (a sender leaves the field out instead)");
        return true;
      }
      return in.index(field, path.child(key), out.sdp_mline_index);
    }
    return true;
  });
}

}  // namespace

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

bool read_description(JsonInput& in, dom::element v, const Path& path, SessionDescription& out) {
  dom::object obj;
  if (!in.object(v, path, obj)) return false;
  out = {};
  RequiredFields required{std::array{RequiredField{"sdp", "the session description has no SDP"}}};
  return read_object(in, obj, path, required, [&](std::string_view key, dom::element child) {
    if (key == "sdp") return in.string(child, path.child(key), out.sdp);
    if (key == "type") {
      // Rule 16: the type is passed to WebRTC as it is, so only its JSON type is checked.
      std::optional<std::string_view> type;
      if (!in.optional_string(child, path.child(key), type)) return false;
      out.type = type.value_or(std::string_view{});
      return true;
    }
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
  RequiredFields required{std::array{RequiredField{"id", "the transfer target needs a user id"}}};
  return read_object(in, obj, path, required, [&](std::string_view key, dom::element field) {
    if (key == "id") return in.string(field, path.child(key), out.id);
    if (key == "display_name") return in.optional_string(field, path.child(key), out.display_name);
    if (key == "avatar_url") return in.optional_string(field, path.child(key), out.avatar_url);
    return true;
  });
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

bool MetadataFields::read(JsonInput& in, std::string_view key, dom::element v, const Path& path, bool& handled) {
  std::optional<StreamMetadataMap>* target = key == kStableMetadataKey     ? &stable_
                                             : key == kUnstableMetadataKey ? &unstable_
                                                                           : nullptr;
  handled = target != nullptr;
  if (!handled) return true;
  if (v.is_null()) {
    in.note_leniency(path.child(key), "null (a sender leaves the field out instead)");
    return true;
  }
  StreamMetadataMap map;
  if (!read_stream_metadata(in, v, path.child(key), map)) return false;
  *target = std::move(map);
  return true;
}

}  // namespace mxcall::protocol::detail
