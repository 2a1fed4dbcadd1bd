// What the client keeps for end-to-end encryption besides the hook itself: the one request flow at a time, the
// joined-members cache of encrypted rooms, and the events that wait for their room key.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "mxcall/matrix/sync.hpp"

namespace mxcall::matrix::detail {

// The parts of one /sync response the hook takes (to-device events, device lists, one-time-key counts).
// The string at `key` of a JSON object, or empty when it is absent or not a string.
std::string text_of(const nlohmann::json& object, const char* key);

CryptoSyncChanges crypto_sync_changes(const nlohmann::json& sync_response, const std::string& next_batch);

class EncryptionState {
 public:
  using Clock = std::chrono::steady_clock;

  // Held while a request flow runs through the hook (a sync's flush, a send's key sharing), so two threads never
  // send the same key query or room key twice.
  std::mutex flow;

  // Decrypted text nested deeper than this is refused unread (ClientConfig::limits.max_json_depth).
  std::size_t max_json_depth = 64;

  // Rooms found unencrypted by asking the server (a room's encryption can be turned on, never off).
  bool known_plain(const std::string& room_id);
  void note_plain(const std::string& room_id);

  std::optional<std::vector<std::string>> cached_members(const std::string& room_id);
  void cache_members(const std::string& room_id, std::vector<std::string> members);
  void forget_members(const std::string& room_id);

  // Decrypts `event` in place. An event without its room key yet is kept to be tried again (and stays encrypted
  // here); one that can never decrypt is reported once in `notices`. Returns true when `event` is now plain.
  bool decrypt(CryptoHook& hook, const std::string& room_id, nlohmann::json& event, std::vector<Notice>& notices,
               std::size_t max_waiting, Clock::time_point now);

  // Tries the waiting events of `rooms` again (room keys arrived for them). Returns the events that decrypted now,
  // per room, oldest first.
  std::map<std::string, nlohmann::json> retry(CryptoHook& hook, const std::vector<std::string>& rooms,
                                              std::vector<Notice>& notices);

  // Reports (once) and forgets the events that waited longer than `wait`.
  void expire(Clock::time_point now, std::chrono::milliseconds wait, std::vector<Notice>& notices);

  std::size_t waiting() const;

 private:
  struct Waiting {
    std::string room_id;
    std::string event_id;
    std::string sender;
    std::string event_json;
    std::string reason;
    Clock::time_point since;
  };
  static Notice lost(const Waiting& event, const std::string& why);
  nlohmann::json parse_bounded(const std::string& text) const;

  mutable std::mutex mutex_;  // guards members_, plain_ and waiting_
  std::map<std::string, std::vector<std::string>> members_;
  std::set<std::string> plain_;
  std::deque<Waiting> waiting_;
};

}  // namespace mxcall::matrix::detail
