// /sync with the call filter, and the hand-over of whole batches (decrypted where a hook can) to the call layer.
#include <nlohmann/json.hpp>

#include "client_internal.hpp"
#include "encryption.hpp"
#include "mxcall/matrix/client.hpp"

namespace mxcall::matrix {

using nlohmann::json;

std::string call_sync_filter(const SyncFilterOptions& options) {
  json types = json::array();
  for (auto type : kCallEventTypes) types.push_back(std::string(type));
  json state_types = {"m.room.member", "m.room.join_rules", "m.room.encryption"};
  json filter = {
      {"presence", {{"types", json::array()}}},
      {"account_data", {{"types", {"m.direct"}}}},
      {"room",
       {{"timeline", {{"types", types}, {"limit", options.timeline_limit}}},
        {"state", {{"types", state_types}, {"lazy_load_members", options.lazy_load_members}}},
        {"ephemeral", {{"types", json::array()}}},
        {"account_data", {{"types", json::array()}}}}},
  };
  return filter.dump();
}

void Client::note_encrypted(const std::string& room_id, std::vector<Notice>& notices) {
  // Called with mutex_ held.
  if (hook_ || !reported_rooms_.insert(room_id).second) return;
  notices.push_back(Notice{NoticeKind::encrypted_room_without_hook, room_id,
                           "room " + room_id +
                               " is end-to-end encrypted and no decryption hook is set: calls in "
                               "that room cannot be seen or answered; plug in a CryptoHook, or call in an unencrypted "
                               "room"});
}

namespace {

json events_of(const json& section) {
  if (section.is_object() && section.contains("events") && section["events"].is_array()) return section["events"];
  return json::array();
}

bool is_type(const json& event, std::string_view type) {
  return event.is_object() && event.contains("type") && event["type"].is_string() &&
         event["type"].get_ref<const std::string&>() == type;
}

}  // namespace

Result<SyncBatch> Client::sync(const SyncOptions& options) {
  SyncBatch batch;
  {
    std::lock_guard lock(mutex_);
    batch.since = session_.since;
  }
  std::string path = "/_matrix/client/v3/sync?filter=" + escape(call_sync_filter(config_.filter)) +
                     "&timeout=" + std::to_string(options.timeout.count());
  if (!batch.since.empty()) path += "&since=" + escape(batch.since);
  if (options.full_state) path += "&full_state=true";
  auto response = request("GET", path, {}, true, options.timeout, config_.retry, options.cancel);
  if (!response) return response.error();
  // value() and get() throw on a field of the wrong type; one malformed reply must not take the process down.
  Result<SyncBatch> parsed = Error{ErrorCode::bad_response, ""};
  try {
    parsed = parse_sync(response->body, std::move(batch));
  } catch (const json::exception& e) {
    return detail::bad_response(config_.homeserver, "/sync", e.what());
  }
  if (parsed) {
    // The hook's requests (keys upload, key queries) go out after each response; a failure is reported and the
    // request is asked for again after the next one.
    if (auto status = flush_crypto_requests(options.cancel); !status) {
      parsed->notices.push_back(Notice{NoticeKind::crypto_request_failed, "",
                                       "an end-to-end encryption request failed: " + status.error().message});
    }
  }
  return parsed;
}

Result<SyncBatch> Client::parse_sync(const std::string& body, SyncBatch batch) {
  auto j = json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("next_batch") || !j["next_batch"].is_string()) {
    return detail::bad_response(config_.homeserver, "/sync", "no next_batch");
  }
  batch.next_batch = j["next_batch"].get<std::string>();

  std::shared_ptr<CryptoHook> hook;
  std::string me;
  {
    std::lock_guard lock(mutex_);
    hook = hook_;
    me = session_.user_id;
  }
  const json account_data = events_of(j.value("account_data", json::object()));
  for (const auto& event : account_data) {
    if (is_type(event, "m.direct") && event.contains("content")) batch.direct_json = event["content"].dump();
  }

  // Room keys of this response first, so its own events decrypt; then the events that waited for those keys.
  std::map<std::string, json> late;
  const auto now = detail::EncryptionState::Clock::now();
  if (hook) {
    auto taken = hook->receive_sync_changes(detail::crypto_sync_changes(j, batch.next_batch));
    if (!taken.error.empty()) {
      batch.notices.push_back(Notice{NoticeKind::crypto_request_failed, "",
                                     "this sync's end-to-end encryption changes were not taken: " + taken.error});
    }
    if (!taken.rooms_with_new_keys.empty()) late = encryption_->retry(*hook, taken.rooms_with_new_keys, batch.notices);
  }

  const json rooms = j.value("rooms", json::object());
  auto room_section = [&](const char* name) { return rooms.is_object() ? rooms.value(name, json::object()) : json{}; };

  const json joined = room_section("join");
  for (const auto& [room_id, room] : joined.items()) {
    RoomBatch rb;
    rb.room_id = room_id;
    rb.membership = Membership::join;
    json state = events_of(room.value("state", json::object()));
    json timeline_section = room.value("timeline", json::object());
    json timeline = events_of(timeline_section);
    rb.limited = timeline_section.value("limited", false);
    if (timeline_section.contains("prev_batch") && timeline_section["prev_batch"].is_string()) {
      rb.prev_batch = timeline_section["prev_batch"].get<std::string>();
    }
    bool has_encrypted_events = false;
    {
      std::lock_guard lock(mutex_);
      for (const auto* list : {&state, &timeline}) {
        for (const auto& event : *list) {
          if (is_type(event, "m.room.join_rules") && event.contains("content") && event["content"].is_object()) {
            rb.join_rule_public = event["content"].value("join_rule", "") == "public";
          }
          if (is_type(event, "m.room.member")) encryption_->forget_members(room_id);
          if (list == &timeline && is_type(event, "m.room.member") && event.contains("content") &&
              event["content"].is_object() && event.contains("state_key") && event["state_key"].is_string()) {
            std::string membership = event["content"].value("membership", "");
            if (membership == "leave" || membership == "ban") rb.members_left.push_back(event["state_key"]);
          }
          if (is_type(event, "m.room.encryption")) encrypted_rooms_.insert(room_id);
          if (is_type(event, "m.room.encrypted")) has_encrypted_events = true;
        }
      }
      if (has_encrypted_events) encrypted_rooms_.insert(room_id);
      rb.encrypted = encrypted_rooms_.count(room_id) != 0;
      if (rb.encrypted) note_encrypted(room_id, batch.notices);
    }
    if (has_encrypted_events && hook) {
      for (auto& event : timeline) {
        if (is_type(event, "m.room.encrypted")) {
          encryption_->decrypt(*hook, room_id, event, batch.notices, config_.max_undecrypted, now);
        }
      }
    }
    if (auto it = late.find(room_id); it != late.end()) {
      // They are older than this response's events: they go first.
      for (auto& event : timeline) it->second.push_back(std::move(event));
      timeline = std::move(it->second);
      late.erase(it);
    }
    rb.state_json = state.dump();
    rb.timeline_json = timeline.dump();
    batch.rooms.push_back(std::move(rb));
  }

  for (auto& [room_id, events] : late) {  // rooms with late events but nothing new in this response
    RoomBatch rb;
    rb.room_id = room_id;
    rb.encrypted = true;
    rb.timeline_json = events.dump();
    batch.rooms.push_back(std::move(rb));
  }
  if (hook) encryption_->expire(now, config_.undecryptable_wait, batch.notices);

  const json invited = room_section("invite");
  for (const auto& [room_id, room] : invited.items()) {
    RoomBatch rb;
    rb.room_id = room_id;
    rb.membership = Membership::invite;
    json state = events_of(room.value("invite_state", json::object()));
    for (const auto& event : state) {
      if (is_type(event, "m.room.member") && event.value("state_key", "") == me) {
        rb.inviter = event.value("sender", "");
        if (event.contains("content") && event["content"].is_object()) {
          rb.is_direct = event["content"].value("is_direct", false);
        }
      }
      if (is_type(event, "m.room.encryption")) rb.encrypted = true;
    }
    rb.state_json = state.dump();
    batch.rooms.push_back(std::move(rb));
  }

  const json left = room_section("leave");
  for (const auto& [room_id, room] : left.items()) {
    RoomBatch rb;
    rb.room_id = room_id;
    rb.membership = Membership::leave;
    rb.state_json = events_of(room.value("state", json::object())).dump();
    rb.timeline_json = events_of(room.value("timeline", json::object())).dump();
    batch.rooms.push_back(std::move(rb));
  }
  return batch;
}

std::string batch_timeline_json(const SyncBatch& batch) {
  json all = json::array();
  for (const auto& room : batch.rooms) {
    if (room.membership == Membership::invite) continue;
    auto events = json::parse(room.timeline_json, nullptr, false);
    if (!events.is_array()) continue;
    for (auto& event : events) {
      if (!event.is_object()) continue;
      if (!event.contains("room_id")) event["room_id"] = room.room_id;
      all.push_back(std::move(event));
    }
  }
  return all.dump();
}

Status Client::commit(const SyncBatch& batch) {
  std::lock_guard lock(mutex_);
  session_.since = batch.next_batch;
  return save_locked();
}

}  // namespace mxcall::matrix
