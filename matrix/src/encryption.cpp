// End-to-end encryption, the /sync side: each /sync's encryption changes read out, timeline events decrypted (or kept
// until their room key arrives). No HTTP here, so the /sync reader's fuzzer links it alone; the client's requests
// for the CryptoHook are in client_encryption.cpp.
#include "encryption.hpp"

#include <algorithm>

#include "client_internal.hpp"
#include "json_limits.hpp"
#include "mxcall/matrix/client.hpp"

namespace mxcall::matrix {

using nlohmann::json;
using std::chrono::milliseconds;

namespace detail {

std::string text_of(const json& object, const char* key) {
  if (!object.is_object()) return {};
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

namespace {

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
                    "; a call event in it is lost (a sender that shares keys only with cross-signed devices needs "
                    "this device cross-signed; otherwise ask them to call again)"};
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

}  // namespace mxcall::matrix
