// Reading the `content` of each call event kind: one reader per kind, chosen by the kind's index in CallContent.
// The receive rules are in the digest, sections 2, 3 and 8.
#include "content_reader.hpp"

#include <utility>

#include "content_fields.hpp"

namespace mxcall::protocol::detail {
namespace {

// The members of one event's content: call_id, party_id and version for every kind, then the kind's own fields
// through on_field. Unknown keys are ignored. Errors are reported in this order: a bad field as it is read, then a
// missing or empty call_id, then the kind's first missing required field.
template <typename Content, std::size_t N, typename OnField>
bool read_fields(JsonInput& in, dom::object obj, const Path& path, Content& content, RequiredFields<N> required,
                 OnField&& on_field) {
  RequiredFields call_id{std::array{RequiredField{"call_id", "every call event needs one"}}};
  content.common.version = Version{Version::Form::absent, {}, false};  // until the field says otherwise
  if (!in.fields(obj, [&](std::string_view key, dom::element v) {
        required.saw(key);
        if (key == "call_id") {
          call_id.saw(key);
          return in.string(v, path.child(key), content.common.call_id);
        }
        if (key == "party_id") return in.optional_nonempty_string(v, path.child(key), content.common.party_id);
        if (key == "version") return read_version(in, v, path.child(key), content.common.version);
        return on_field(key, v);
      })) {
    return false;
  }
  if (!call_id.check(in, path)) return false;
  if (content.common.call_id.empty()) return in.fail(path.child("call_id"), "empty");
  return required.check(in, path);
}

bool read_kind(JsonInput& in, dom::object obj, const Path& path, Invite& c) {
  MetadataFields metadata;
  RequiredFields required{std::array{RequiredField{"offer", "an invite must carry the offer"},
                                     RequiredField{"lifetime", "an invite must say how long it rings"}}};
  if (!read_fields(in, obj, path, c, required, [&](std::string_view key, dom::element f) {
        bool handled = false;
        if (!metadata.read(in, key, f, path, handled)) return false;
        if (handled) return true;
        if (key == "offer") return read_description(in, f, path.child(key), c.offer);
        if (key == "lifetime") return in.duration_ms(f, path.child(key), c.lifetime_ms);
        if (key == "invitee") return in.optional_nonempty_string(f, path.child(key), c.invitee);
        if (key == "capabilities") return read_capabilities(in, f, path.child(key), c.capabilities);
        return true;
      })) {
    return false;
  }
  c.sdp_stream_metadata = metadata.take();
  return true;
}

bool read_kind(JsonInput& in, dom::object obj, const Path& path, Candidates& c) {
  RequiredFields required{std::array{RequiredField{"candidates", "the event exists to carry them"}}};
  return read_fields(in, obj, path, c, required, [&](std::string_view key, dom::element f) {
    if (key == "candidates") return read_candidates_array(in, f, path.child(key), c.candidates);
    return true;
  });
}

bool read_kind(JsonInput& in, dom::object obj, const Path& path, Answer& c) {
  MetadataFields metadata;
  RequiredFields required{std::array{RequiredField{"answer", "an answer must carry the SDP answer"}}};
  if (!read_fields(in, obj, path, c, required, [&](std::string_view key, dom::element f) {
        bool handled = false;
        if (!metadata.read(in, key, f, path, handled)) return false;
        if (handled) return true;
        if (key == "answer") return read_description(in, f, path.child(key), c.answer);
        if (key == "capabilities") return read_capabilities(in, f, path.child(key), c.capabilities);
        return true;
      })) {
    return false;
  }
  c.sdp_stream_metadata = metadata.take();
  return true;
}

bool read_kind(JsonInput& in, dom::object obj, const Path& path, SelectAnswer& c) {
  RequiredFields required{std::array{RequiredField{"selected_party_id", "it names the chosen party"}}};
  return read_fields(in, obj, path, c, required, [&](std::string_view key, dom::element f) {
    if (key == "selected_party_id") return in.string(f, path.child(key), c.selected_party_id);
    return true;
  });
}

bool read_kind(JsonInput& in, dom::object obj, const Path& path, Reject& c) {
  return read_fields(in, obj, path, c, RequiredFields<0>{{}}, [&](std::string_view key, dom::element f) {
    if (key == "reason") return in.optional_string(f, path.child(key), c.reason);
    return true;
  });
}

bool read_kind(JsonInput& in, dom::object obj, const Path& path, Negotiate& c) {
  MetadataFields metadata;
  RequiredFields required{std::array{RequiredField{"description", "a negotiate carries an offer or an answer"},
                                     RequiredField{"lifetime", "a negotiate must say how long it is valid"}}};
  if (!read_fields(in, obj, path, c, required, [&](std::string_view key, dom::element f) {
        bool handled = false;
        if (!metadata.read(in, key, f, path, handled)) return false;
        if (handled) return true;
        if (key == "description") return read_description(in, f, path.child(key), c.description);
        if (key == "lifetime") return in.duration_ms(f, path.child(key), c.lifetime_ms);
        if (key == "capabilities") return read_capabilities(in, f, path.child(key), c.capabilities);
        return true;
      })) {
    return false;
  }
  c.sdp_stream_metadata = metadata.take();
  return true;
}

bool read_kind(JsonInput& in, dom::object obj, const Path& path, SdpStreamMetadataChanged& c) {
  MetadataFields metadata;
  if (!read_fields(in, obj, path, c, RequiredFields<0>{{}}, [&](std::string_view key, dom::element f) {
        bool handled = false;
        return metadata.read(in, key, f, path, handled);
      })) {
    return false;
  }
  auto map = metadata.take();
  if (!map) return in.fail(path.child(kStableMetadataKey), "missing (the event exists to carry it)");
  c.sdp_stream_metadata = std::move(*map);
  return true;
}

bool read_kind(JsonInput& in, dom::object obj, const Path& path, Hangup& c) {
  std::optional<std::string_view> reason;
  if (!read_fields(in, obj, path, c, RequiredFields<0>{{}}, [&](std::string_view key, dom::element f) {
        if (key == "reason") return in.optional_string(f, path.child(key), reason);
        return true;
      })) {
    return false;
  }
  // Rule 49: a missing reason is user_hangup. An empty one is treated the same way.
  if (reason && reason->empty()) in.note_leniency(path.child("reason"), "an empty string (send user_hangup)");
  c.reason_present = reason.has_value() && !reason->empty();
  c.reason_text = c.reason_present ? *reason : std::string_view("user_hangup");
  return true;
}

bool read_kind(JsonInput& in, dom::object obj, const Path& path, Replaces& c) {
  RequiredFields required{std::array{RequiredField{"replacement_id", "it identifies the transfer"},
                                     RequiredField{"target_user", "it names who the call is transferred to"}}};
  if (!read_fields(in, obj, path, c, required, [&](std::string_view key, dom::element f) {
        if (key == "replacement_id") return in.string(f, path.child(key), c.replacement_id);
        if (key == "target_user") return read_target_user(in, f, path.child(key), c.target_user);
        if (key == "target_room") return in.optional_nonempty_string(f, path.child(key), c.target_room);
        if (key == "create_call") return in.optional_nonempty_string(f, path.child(key), c.create_call);
        if (key == "await_call") return in.optional_nonempty_string(f, path.child(key), c.await_call);
        return true;
      })) {
    return false;
  }
  if (c.create_call.has_value() == c.await_call.has_value()) {
    return in.fail(path.child("create_call"), c.create_call ? "and await_call are both set; exactly one must be"
                                                            : "missing, and so is await_call; one must be set");
  }
  return true;
}

bool read_kind(JsonInput& in, dom::object obj, const Path& path, RejectReplacement& c) {
  RequiredFields required{std::array{RequiredField{"replacement_id", "it names the refused transfer"},
                                     RequiredField{"reason", "it says why the transfer was refused"}}};
  return read_fields(in, obj, path, c, required, [&](std::string_view key, dom::element f) {
    if (key == "replacement_id") return in.string(f, path.child(key), c.replacement_id);
    if (key == "reason") return in.string(f, path.child(key), c.reason);
    if (key == "call_failure_reason") return in.optional_string(f, path.child(key), c.call_failure_reason);
    return true;
  });
}

bool read_kind(JsonInput& in, dom::object obj, const Path& path, AssertedIdentity& c) {
  RequiredFields required{std::array{RequiredField{"asserted_identity", "an object, or null to revert"}}};
  return read_fields(in, obj, path, c, required, [&](std::string_view key, dom::element f) {
    if (key == "asserted_identity") return read_identity(in, f, path.child(key), c.asserted_identity);
    return true;
  });
}

template <typename Content>
bool read_as(JsonInput& in, dom::object obj, const Path& path, CallContent& out) {
  Content content;
  if (!read_kind(in, obj, path, content)) return false;
  out = std::move(content);
  return true;
}

using Reader = bool (*)(JsonInput&, dom::object, const Path&, CallContent&);

// One reader per alternative of CallContent, whose index is the EventKind: a new kind without a read_kind
// overload does not compile.
template <std::size_t... Kind>
constexpr std::array<Reader, sizeof...(Kind)> readers_for(std::index_sequence<Kind...>) {
  return {&read_as<std::variant_alternative_t<Kind, CallContent>>...};
}
constexpr auto kReaders = readers_for(std::make_index_sequence<std::variant_size_v<CallContent>>{});
static_assert(kReaders.size() == kEventKindCount);

}  // namespace

bool read_content(JsonInput& in, EventKind kind, dom::element v, CallContent& out) {
  const Path root;
  const Path path = root.child("content");
  dom::object obj;
  if (!in.object(v, path, obj)) return false;
  auto index = static_cast<std::size_t>(kind);
  if (index >= kReaders.size()) return in.fail(path, "unknown event kind");
  return kReaders[index](in, obj, path, out);
}

}  // namespace mxcall::protocol::detail
