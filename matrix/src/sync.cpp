// /sync with the call filter, and the hand-over of whole batches (decrypted where a hook can) to the call layer.
#include <nlohmann/json.hpp>

#include "client_internal.hpp"
#include "json_limits.hpp"
#include "mxcall/matrix/client.hpp"
#include "sync_parse.hpp"

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
  // Called with state_->mutex held.
  if (state_->hook || !state_->reported_rooms.insert(room_id).second) return;
  notices.push_back(Notice{NoticeKind::encrypted_room_without_hook, room_id,
                           "room " + detail::one_line(room_id) +
                               " is end-to-end encrypted and no decryption hook is set: calls in "
                               "that room cannot be seen or answered; plug in a CryptoHook, or call in an unencrypted "
                               "room"});
}

Result<SyncBatch> Client::sync(const SyncOptions& options) {
  SyncBatch batch;
  {
    std::lock_guard lock(state_->mutex);
    batch.since = state_->session.since;
  }
  std::string path = "/_matrix/client/v3/sync?filter=" + escape(call_sync_filter(state_->config.filter)) +
                     "&timeout=" + std::to_string(options.timeout.count());
  if (!batch.since.empty()) path += "&since=" + escape(batch.since);
  if (options.full_state) path += "&full_state=true";
  auto response = request("GET", path, {}, true, options.timeout, state_->config.retry, options.cancel);
  if (!response) return response.error();
  // value() and get() throw on a field of the wrong type; one malformed reply must not take the process down.
  Result<SyncBatch> parsed = Error{ErrorCode::bad_response, ""};
  try {
    parsed = parse_sync(response->body, std::move(batch));
  } catch (const json::exception& e) {
    return detail::bad_response(state_->config.homeserver, "/sync", e.what());
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
  detail::SyncParseContext context;
  context.homeserver = state_->config.homeserver;
  context.max_json_depth = state_->config.limits.max_json_depth;
  std::shared_ptr<CryptoHook> hook;
  std::string me;
  {
    std::lock_guard lock(state_->mutex);
    hook = state_->hook;
    me = state_->session.user_id;
  }
  context.me = me;
  context.hook = hook.get();
  context.encryption = &state_->encryption;
  context.max_undecrypted = state_->config.max_undecrypted;
  context.undecryptable_wait = state_->config.undecryptable_wait;
  context.room_encrypted = [this](const std::string& room_id, bool seen, std::vector<Notice>& notices) {
    std::lock_guard lock(state_->mutex);
    if (seen) state_->encrypted_rooms.insert(room_id);
    bool encrypted = state_->encrypted_rooms.count(room_id) != 0;
    if (encrypted) note_encrypted(room_id, notices);
    return encrypted;
  };
  return detail::parse_sync_body(body, std::move(batch), context);
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
  std::lock_guard lock(state_->mutex);
  state_->session.since = batch.next_batch;
  return save_locked();
}

}  // namespace mxcall::matrix
