// End-to-end encryption through the CryptoHook: each /sync's encryption changes in, the hook's requests out,
// timeline events decrypted (or kept until their room key arrives), sends into encrypted rooms encrypted once the
// room key is shared with every joined member's devices.
#include "encryption.hpp"

#include <algorithm>

#include "client_internal.hpp"
#include "json_limits.hpp"
#include "mxcall/matrix/client.hpp"

namespace mxcall::matrix {

using nlohmann::json;
using std::chrono::milliseconds;

namespace detail {

namespace {

std::string text_of(const json& object, const char* key) {
  if (!object.is_object()) return {};
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

json section(const json& object, const char* key) {
  if (!object.is_object()) return json{};
  auto it = object.find(key);
  return it == object.end() ? json{} : *it;
}

// A decrypted event must be an object with a string type and an object content; it takes the envelope (id, sender,
// time, room, unsigned) from the encrypted event when the hook leaves it out.
bool adopt(json& plain, const json& encrypted) {
  if (!plain.is_object() || !plain.contains("type") || !plain["type"].is_string() || !plain.contains("content") ||
      !plain["content"].is_object()) {
    return false;
  }
  for (const char* key : {"event_id", "sender", "origin_server_ts", "room_id", "unsigned"}) {
    if (!plain.contains(key) && encrypted.contains(key)) plain[key] = encrypted[key];
  }
  return true;
}

}  // namespace

CryptoSyncChanges crypto_sync_changes(const json& sync_response, const std::string& next_batch) {
  CryptoSyncChanges changes;
  json to_device = section(section(sync_response, "to_device"), "events");
  if (to_device.is_array()) changes.to_device_json = to_device.dump();
  json device_lists = section(sync_response, "device_lists");
  if (device_lists.is_object()) changes.device_lists_json = device_lists.dump();
  json counts = section(sync_response, "device_one_time_keys_count");
  if (counts.is_object()) changes.one_time_key_counts_json = counts.dump();
  json fallback = section(sync_response, "device_unused_fallback_key_types");
  if (!fallback.is_array()) fallback = section(sync_response, "org.matrix.msc2732.device_unused_fallback_key_types");
  if (fallback.is_array()) changes.unused_fallback_key_types_json = fallback.dump();
  changes.next_batch = next_batch;
  return changes;
}

bool EncryptionState::known_plain(const std::string& room_id) {
  std::lock_guard lock(mutex_);
  return plain_.count(room_id) != 0;
}

void EncryptionState::note_plain(const std::string& room_id) {
  std::lock_guard lock(mutex_);
  plain_.insert(room_id);
}

std::optional<std::vector<std::string>> EncryptionState::cached_members(const std::string& room_id) {
  std::lock_guard lock(mutex_);
  auto it = members_.find(room_id);
  if (it == members_.end()) return std::nullopt;
  return it->second;
}

void EncryptionState::cache_members(const std::string& room_id, std::vector<std::string> members) {
  std::lock_guard lock(mutex_);
  members_[room_id] = std::move(members);
}

void EncryptionState::forget_members(const std::string& room_id) {
  std::lock_guard lock(mutex_);
  members_.erase(room_id);
}

Notice EncryptionState::lost(const Waiting& event, const std::string& why) {
  // Ids and reasons come from the server and the sender: one line each, bounded.
  return Notice{NoticeKind::undecryptable_event, event.room_id,
                "an encrypted event in room " + one_line(event.room_id) + " (" +
                    (event.event_id.empty() ? "?" : one_line(event.event_id)) + " from " +
                    (event.sender.empty() ? "?" : one_line(event.sender)) +
                    ") could not be decrypted: " + one_line(why) +
                    "; a call event in it is lost (ask the sender to verify this device or call again)"};
}

bool EncryptionState::decrypt(CryptoHook& hook, const std::string& room_id, json& event, std::vector<Notice>& notices,
                              std::size_t max_waiting, Clock::time_point now) {
  DecryptOutcome outcome = hook.decrypt(room_id, event.dump());
  if (outcome.event_json) {
    json plain = parse_bounded(*outcome.event_json);
    if (adopt(plain, event)) {
      event = std::move(plain);
      return true;
    }
    outcome = DecryptOutcome{std::nullopt, false, "the decryption hook returned something that is not an event"};
  }
  Waiting waiting{room_id, text_of(event, "event_id"), text_of(event, "sender"), event.dump(), outcome.reason, now};
  if (!outcome.retry_later) {
    notices.push_back(lost(waiting, outcome.reason));
    return false;
  }
  std::lock_guard lock(mutex_);
  bool known = !waiting.event_id.empty() && std::any_of(waiting_.begin(), waiting_.end(), [&](const Waiting& w) {
    return w.event_id == waiting.event_id && w.room_id == room_id;
  });
  if (known) return false;  // a replayed batch: the event already waits
  waiting_.push_back(std::move(waiting));
  while (waiting_.size() > std::max<std::size_t>(max_waiting, 1)) {
    notices.push_back(lost(waiting_.front(), waiting_.front().reason + " (too many events wait for room keys)"));
    waiting_.pop_front();
  }
  return false;
}

std::map<std::string, json> EncryptionState::retry(CryptoHook& hook, const std::vector<std::string>& rooms,
                                                   std::vector<Notice>& notices) {
  std::map<std::string, json> decrypted;
  std::lock_guard lock(mutex_);
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (std::find(rooms.begin(), rooms.end(), it->room_id) == rooms.end()) {
      ++it;
      continue;
    }
    DecryptOutcome outcome = hook.decrypt(it->room_id, it->event_json);
    if (outcome.event_json) {
      json plain = parse_bounded(*outcome.event_json);
      if (adopt(plain, json::parse(it->event_json, nullptr, false))) {
        auto& list = decrypted[it->room_id];
        if (!list.is_array()) list = json::array();
        list.push_back(std::move(plain));
        it = waiting_.erase(it);
        continue;
      }
      outcome = DecryptOutcome{std::nullopt, false, "the decryption hook returned something that is not an event"};
    }
    if (outcome.retry_later) {
      it->reason = outcome.reason;
      ++it;
      continue;
    }
    notices.push_back(lost(*it, outcome.reason));
    it = waiting_.erase(it);
  }
  return decrypted;
}

void EncryptionState::expire(Clock::time_point now, milliseconds wait, std::vector<Notice>& notices) {
  std::lock_guard lock(mutex_);
  while (!waiting_.empty() && now - waiting_.front().since >= wait) {
    notices.push_back(lost(waiting_.front(), waiting_.front().reason + " (no room key arrived within " +
                                                 std::to_string(wait.count() / 1000) + " s)"));
    waiting_.pop_front();
  }
}

json EncryptionState::parse_bounded(const std::string& text) const {
  // The plaintext is the sender's choice: a hostile one could nest it deep enough to exhaust the parser's stack.
  if (nests_deeper_than(text, max_json_depth)) return json{};
  return json::parse(text, nullptr, false);
}

std::size_t EncryptionState::waiting() const {
  std::lock_guard lock(mutex_);
  return waiting_.size();
}

}  // namespace detail

Status Client::send_crypto_requests(CryptoHook& hook, const std::vector<CryptoRequest>& requests,
                                    const std::atomic<bool>* cancel) {
  for (const auto& r : requests) {
    if (r.method != "POST" && r.method != "PUT") {
      return Error{ErrorCode::bad_request, "the encryption hook asked for a " + r.method + " request to " + r.path +
                                               "; only POST and PUT are sent"};
    }
    if (r.path.rfind("/_matrix/client/", 0) != 0) {
      return Error{ErrorCode::bad_request, "the encryption hook asked for a request outside the client API: " + r.path};
    }
    auto response = request(r.method.c_str(), r.path, r.body, true, milliseconds{0}, state_->config.retry, cancel);
    if (!response) return response.error();
    if (auto problem = hook.mark_request_sent(r, response->body)) {
      return Error{ErrorCode::bad_response, "the answer to " + r.kind + " (" + r.path + ") was not taken: " + *problem};
    }
  }
  return Ok{};
}

Status Client::flush_crypto_requests(const std::atomic<bool>* cancel) {
  std::shared_ptr<CryptoHook> hook;
  {
    std::lock_guard lock(state_->mutex);
    hook = state_->hook;
  }
  if (!hook) return Ok{};
  std::lock_guard flow(state_->encryption.flow);
  // A keys upload can be followed by another (more one-time keys); a few rounds settle it, the next sync does the rest.
  for (int round = 0; round < 4; ++round) {
    auto pending = hook->outgoing_requests();
    if (!pending.error.empty()) {
      return Error{ErrorCode::bad_request, "the encryption hook could not list its requests: " + pending.error};
    }
    if (pending.requests.empty()) break;
    if (auto status = send_crypto_requests(*hook, pending.requests, cancel); !status) return status;
  }
  return Ok{};
}

Result<bool> Client::needs_encryption(const std::string& room_id, const std::atomic<bool>* cancel) {
  {
    std::lock_guard lock(state_->mutex);
    if (state_->encrypted_rooms.count(room_id) != 0) return true;
  }
  if (state_->encryption.known_plain(room_id)) return false;
  // Not seen in a sync of this process (a resumed session's incremental sync does not repeat a room's state): ask,
  // rather than risk plain text in an encrypted room.
  const std::string path = "/_matrix/client/v3/rooms/" + escape(room_id) + "/state/m.room.encryption/";
  auto response = request("GET", path, {}, true, milliseconds{0}, state_->config.retry, cancel);
  if (!response) {
    if (response.error().code != ErrorCode::not_found) return response.error();
    state_->encryption.note_plain(room_id);
    return false;
  }
  std::lock_guard lock(state_->mutex);
  state_->encrypted_rooms.insert(room_id);
  return true;
}

Result<std::vector<std::string>> Client::key_recipients(const std::string& room_id, const std::atomic<bool>* cancel) {
  if (auto cached = state_->encryption.cached_members(room_id)) return std::move(*cached);
  // Joined and invited members, as other clients share room keys: a callee invited to a new direct chat joins after
  // the invite is sent, and must be able to read it then.
  const std::string path = "/_matrix/client/v3/rooms/" + escape(room_id) + "/members?not_membership=leave";
  auto response = request("GET", path, {}, true, milliseconds{0}, state_->config.retry, cancel);
  if (!response) return response.error();
  auto j = json::parse(response->body, nullptr, false);
  if (!j.is_object() || !j.contains("chunk") || !j["chunk"].is_array()) {
    return detail::bad_response(state_->config.homeserver, "/members", "no 'chunk' array");
  }
  std::vector<std::string> members;
  for (const auto& event : j["chunk"]) {
    if (!event.is_object() || !event.contains("state_key") || !event["state_key"].is_string()) continue;
    const auto* content = event.contains("content") && event["content"].is_object() ? &event["content"] : nullptr;
    std::string membership = content != nullptr ? detail::text_of(*content, "membership") : std::string();
    if (membership == "join" || membership == "invite") members.push_back(event["state_key"].get<std::string>());
  }
  state_->encryption.cache_members(room_id, members);
  return members;
}

Result<std::string> Client::encrypt_for_room(CryptoHook& hook, const std::string& room_id, const std::string& type,
                                             std::string_view content_json, const std::atomic<bool>* cancel) {
  auto members = key_recipients(room_id, cancel);
  if (!members) return members.error();
  std::lock_guard flow(state_->encryption.flow);
  // Key queries, one-time-key claims, the room key itself: three rounds when nothing is known yet, none once the
  // key is shared. The bound stops a hook that keeps asking.
  constexpr int kMaxSteps = 8;
  for (int step = 0; step < kMaxSteps; ++step) {
    EncryptStep next = hook.encrypt(room_id, type, content_json, *members, step == 0);
    if (next.content_json) return std::move(*next.content_json);
    if (!next.error.empty()) {
      return Error{ErrorCode::bad_request, type + " for room " + room_id + " was not sent: " + next.error};
    }
    if (next.requests.empty()) {
      return Error{ErrorCode::bad_request, "the encryption hook gave neither content nor requests for " + type};
    }
    if (auto status = send_crypto_requests(hook, next.requests, cancel); !status) return status.error();
  }
  return Error{ErrorCode::bad_request, "the room key of " + room_id + " was still not shared after " +
                                           std::to_string(kMaxSteps) + " rounds of key requests; " + type +
                                           " was not sent"};
}

}  // namespace mxcall::matrix
