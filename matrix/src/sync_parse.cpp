#include "sync_parse.hpp"

#include <map>
#include <nlohmann/json.hpp>

#include "client_internal.hpp"
#include "encryption.hpp"
#include "json_limits.hpp"

namespace mxcall::matrix::detail {
namespace {

using nlohmann::json;

const json* member(const json* object, const char* key) {
  if (object == nullptr || !object->is_object()) return nullptr;
  auto it = object->find(key);
  return it == object->end() ? nullptr : &*it;
}

const json* events_of(const json* section) {
  const json* events = member(section, "events");
  return events != nullptr && events->is_array() ? events : nullptr;
}

std::string_view string_of(const json* value) {
  return value != nullptr && value->is_string() ? std::string_view(value->get_ref<const std::string&>())
                                                : std::string_view{};
}

// Strings read by nlohmann are valid UTF-8, but a hook's output may not be: never throw while writing.
std::string dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

bool is_type(const json& event, std::string_view type) { return string_of(member(&event, "type")) == type; }

// What makes an event unreadable for any layer above: the fields every room event has, of the wrong JSON type.
// Content is the call layer's to judge (its reader drops bad call contents with a reason of its own).
const char* malformed(const json& event) {
  if (!event.is_object()) return "it is not a JSON object";
  const json* type = member(&event, "type");
  if (type == nullptr || !type->is_string()) return "it has no string `type`";
  const json* content = member(&event, "content");
  if (content != nullptr && !content->is_object()) return "its `content` is not an object";
  for (const char* key : {"event_id", "sender", "state_key", "room_id"}) {
    const json* field = member(&event, key);
    if (field != nullptr && !field->is_string())
      return "an id field (event_id, sender, state_key, room_id) is not a string";
  }
  return nullptr;
}

class RoomReader {
 public:
  RoomReader(const SyncParseContext& context, SyncBatch& batch) : context_(context), batch_(batch) {}

  // Events that waited for their room key and decrypted with this reply's keys, per room, oldest first.
  std::map<std::string, json> late;

  // The events of `section` that are well formed, as JSON array text; each bad one is named in a notice.
  std::string events_json(const json* section, const std::string& room_id, std::vector<const json*>* kept = nullptr) {
    const json* events = events_of(section);
    std::string out = "[";
    if (events == nullptr) return "[]";
    for (const auto& event : *events) {
      if (const char* why = malformed(event)) {
        skipped(room_id, event, why);
        continue;
      }
      if (out.size() > 1) out += ',';
      out += dump(event);
      if (kept != nullptr) kept->push_back(&event);
    }
    out += ']';
    return out;
  }

  void skipped(const std::string& room_id, const json& event, const char* why) {
    std::string id(string_of(member(&event, "event_id")));
    batch_.notices.push_back(Notice{NoticeKind::malformed_event, room_id,
                                    "an event in room " + one_line(room_id) + " (" +
                                        (id.empty() ? std::string("no event id") : one_line(id)) +
                                        ") was skipped: " + why + "; the rest of the batch is read"});
  }

  void joined(const std::string& room_id, const json& room) {
    RoomBatch rb;
    rb.room_id = room_id;
    rb.membership = Membership::join;
    const json* state = member(&room, "state");
    const json* timeline = member(&room, "timeline");
    if (const json* limited = member(timeline, "limited"); limited != nullptr && limited->is_boolean()) {
      rb.limited = limited->get<bool>();
    }
    rb.prev_batch = std::string(string_of(member(timeline, "prev_batch")));
    std::vector<const json*> state_events, timeline_events;
    rb.state_json = events_json(state, room_id, &state_events);
    std::string timeline_json = events_json(timeline, room_id, &timeline_events);
    bool encryption_seen = false;
    bool has_encrypted_events = false;
    for (const auto* list : {&state_events, &timeline_events}) {
      for (const json* event : *list) {
        const json* content = member(event, "content");
        if (is_type(*event, "m.room.join_rules") && content != nullptr) {
          rb.join_rule_public = string_of(member(content, "join_rule")) == "public";
        }
        // Room keys go to the joined members' devices: a membership change invalidates the cached list.
        if (is_type(*event, "m.room.member") && context_.encryption != nullptr) {
          context_.encryption->forget_members(room_id);
        }
        if (list == &timeline_events && is_type(*event, "m.room.member") && content != nullptr) {
          std::string_view membership = string_of(member(content, "membership"));
          std::string_view user = string_of(member(event, "state_key"));
          if (!user.empty() && (membership == "leave" || membership == "ban")) rb.members_left.emplace_back(user);
        }
        if (is_type(*event, "m.room.encryption")) encryption_seen = true;
        if (is_type(*event, "m.room.encrypted")) has_encrypted_events = true;
      }
    }
    rb.encrypted = context_.room_encrypted
                       ? context_.room_encrypted(room_id, encryption_seen || has_encrypted_events, batch_.notices)
                       : encryption_seen || has_encrypted_events;
    rb.timeline_json = has_encrypted_events && context_.hook != nullptr ? decrypted_timeline(room_id, timeline_events)
                                                                        : std::move(timeline_json);
    if (auto it = late.find(room_id); it != late.end()) {
      // They are older than this reply's events: they go first.
      json merged = std::move(it->second);
      json own = json::parse(rb.timeline_json, nullptr, false);
      if (own.is_array()) {
        for (auto& event : own) merged.push_back(std::move(event));
      }
      rb.timeline_json = dump(merged);
      late.erase(it);
    }
    batch_.rooms.push_back(std::move(rb));
  }

  // Rooms with events that decrypted now but nothing new in this reply.
  void late_only() {
    for (auto& [room_id, events] : late) {
      RoomBatch rb;
      rb.room_id = room_id;
      rb.membership = Membership::join;
      rb.encrypted = true;
      rb.timeline_json = dump(events);
      batch_.rooms.push_back(std::move(rb));
    }
    late.clear();
  }

  std::string decrypted_timeline(const std::string& room_id, const std::vector<const json*>& events) {
    std::string out = "[";
    const auto now = EncryptionState::Clock::now();
    auto emit = [&](const json& event) {
      if (out.size() > 1) out += ',';
      out += dump(event);
    };
    for (const json* event : events) {
      if (!is_type(*event, "m.room.encrypted")) {
        emit(*event);
        continue;
      }
      json decrypted = *event;
      bool plain = context_.encryption != nullptr
                       ? context_.encryption->decrypt(*context_.hook, room_id, decrypted, batch_.notices,
                                                      context_.max_undecrypted, now)
                       : decrypt_once(room_id, decrypted);
      if (plain && malformed(decrypted) != nullptr) {
        // Decrypted, but not a room event any layer above can read: the same as a malformed plain event.
        skipped(room_id, *event, "it decrypted to something that is not a well-formed event");
        continue;
      }
      emit(decrypted);  // decrypted, or still m.room.encrypted (waiting for its key, or reported)
    }
    out += ']';
    return out;
  }

  // Without the client's waiting list (the fuzzer's context): one try, a failure reported at once.
  bool decrypt_once(const std::string& room_id, json& event) {
    DecryptOutcome outcome = context_.hook->decrypt(room_id, dump(event));
    json plain = outcome.event_json && !nests_deeper_than(*outcome.event_json, context_.max_json_depth)
                     ? json::parse(*outcome.event_json, nullptr, false)
                     : json{};
    if (!plain.is_object()) {
      batch_.notices.push_back(
          Notice{NoticeKind::undecryptable_event, room_id,
                 "an event in room " + one_line(room_id) + " (" + one_line(string_of(member(&event, "event_id"))) +
                     ") could not be decrypted: " + one_line(outcome.reason) + "; a call event in it is not seen"});
      return false;
    }
    for (const char* key : {"event_id", "sender", "origin_server_ts", "room_id", "unsigned"}) {
      if (!plain.contains(key) && event.contains(key)) plain[key] = event[key];
    }
    event = std::move(plain);
    return true;
  }

  void invited(const std::string& room_id, const json& room) {
    RoomBatch rb;
    rb.room_id = room_id;
    rb.membership = Membership::invite;
    std::vector<const json*> state;
    rb.state_json = events_json(member(&room, "invite_state"), room_id, &state);
    for (const json* event : state) {
      if (is_type(*event, "m.room.member") && string_of(member(event, "state_key")) == context_.me) {
        rb.inviter = std::string(string_of(member(event, "sender")));
        const json* direct = member(member(event, "content"), "is_direct");
        rb.is_direct = direct != nullptr && direct->is_boolean() && direct->get<bool>();
      }
      if (is_type(*event, "m.room.encryption")) rb.encrypted = true;
    }
    batch_.rooms.push_back(std::move(rb));
  }

  void left(const std::string& room_id, const json& room) {
    RoomBatch rb;
    rb.room_id = room_id;
    rb.membership = Membership::leave;
    rb.state_json = events_json(member(&room, "state"), room_id);
    rb.timeline_json = events_json(member(&room, "timeline"), room_id);
    batch_.rooms.push_back(std::move(rb));
  }

 private:
  const SyncParseContext& context_;
  SyncBatch& batch_;
};

}  // namespace

Result<SyncBatch> parse_sync_body(std::string_view body, SyncBatch batch, const SyncParseContext& context) {
  const std::string homeserver(context.homeserver);
  if (nests_deeper_than(body, context.max_json_depth)) {
    // bad_response, not not_a_homeserver: the syncer retries it (a few times) rather than stopping at once.
    return Error{ErrorCode::bad_response, homeserver + " answered /sync with JSON nested deeper than " +
                                              std::to_string(context.max_json_depth) +
                                              " levels (ClientConfig::limits.max_json_depth); the reply was refused "
                                              "unread: check the server"};
  }
  const json j = json::parse(body, nullptr, false);
  const json* next_batch = member(&j, "next_batch");
  if (next_batch == nullptr || !next_batch->is_string()) return bad_response(homeserver, "/sync", "no next_batch");
  batch.next_batch = next_batch->get<std::string>();

  if (const json* account_data = events_of(member(&j, "account_data"))) {
    for (const auto& event : *account_data) {
      const json* content = member(&event, "content");
      if (is_type(event, "m.direct") && content != nullptr && content->is_object()) batch.direct_json = dump(*content);
    }
  }

  RoomReader reader(context, batch);
  if (context.hook != nullptr) {
    // Room keys of this reply first, so its own events decrypt; then the events that waited for those keys.
    auto taken = context.hook->receive_sync_changes(crypto_sync_changes(j, batch.next_batch));
    if (!taken.error.empty()) {
      batch.notices.push_back(
          Notice{NoticeKind::crypto_request_failed, "",
                 "this sync's end-to-end encryption changes were not taken: " + one_line(taken.error)});
    }
    if (context.encryption != nullptr && !taken.rooms_with_new_keys.empty()) {
      reader.late = context.encryption->retry(*context.hook, taken.rooms_with_new_keys, batch.notices);
    }
  }
  const json* rooms = member(&j, "rooms");
  auto each_room = [&](const char* section, auto&& read) {
    const json* by_id = member(rooms, section);
    if (by_id == nullptr || !by_id->is_object()) return;
    for (const auto& [room_id, room] : by_id->items()) {
      if (!room.is_object()) {
        batch.notices.push_back(Notice{NoticeKind::malformed_event, room_id,
                                       "room " + one_line(room_id) +
                                           " in the /sync reply is not a JSON object; "
                                           "it was skipped and the rest of the batch is read"});
        continue;
      }
      read(room_id, room);
    }
  };
  each_room("join", [&](const std::string& id, const json& room) { reader.joined(id, room); });
  reader.late_only();
  if (context.hook != nullptr && context.encryption != nullptr) {
    context.encryption->expire(EncryptionState::Clock::now(), context.undecryptable_wait, batch.notices);
  }
  each_room("invite", [&](const std::string& id, const json& room) { reader.invited(id, room); });
  each_room("leave", [&](const std::string& id, const json& room) { reader.left(id, room); });
  return batch;
}

}  // namespace mxcall::matrix::detail
