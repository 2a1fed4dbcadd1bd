// End-to-end encryption, the client's side: the CryptoHook's requests sent (keys upload, query, claim, to-device,
// signature upload), and sends into encrypted rooms encrypted once the room key is shared with every joined
// member's devices.
#include <algorithm>

#include "client_internal.hpp"
#include "encryption.hpp"
#include "json_limits.hpp"
#include "mxcall/matrix/client.hpp"

namespace mxcall::matrix {

using nlohmann::json;
using std::chrono::milliseconds;

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

Status Client::send_hook_requests(const std::vector<CryptoRequest>& requests, const std::atomic<bool>* cancel) {
  std::shared_ptr<CryptoHook> hook;
  {
    std::lock_guard lock(state_->mutex);
    hook = state_->hook;
  }
  if (!hook) return Error{ErrorCode::bad_request, "no encryption hook to send requests for"};
  std::lock_guard flow(state_->encryption.flow);
  return send_crypto_requests(*hook, requests, cancel);
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

Result<std::vector<std::string>> Client::devices_with_keys(const std::string& user_id) {
  constexpr std::size_t kMaxDevices = 1000;  // the homeserver's answer, bounded
  auto response =
      api("POST", "/_matrix/client/v3/keys/query", json{{"device_keys", {{user_id, json::array()}}}}.dump());
  if (!response) return response.error();
  json body = json::parse(response->body, nullptr, false);
  if (!body.is_object()) return detail::bad_response(state_->config.homeserver, "/keys/query", "not a JSON object");
  std::vector<std::string> devices;
  auto keys = body.find("device_keys");
  if (keys == body.end() || !keys->is_object()) return devices;
  auto of_user = keys->find(user_id);
  if (of_user == keys->end() || !of_user->is_object()) return devices;
  for (const auto& [device_id, device] : of_user->items()) {
    if (devices.size() == kMaxDevices) break;
    if (device.is_object() && device.contains("keys")) devices.push_back(device_id);
  }
  return devices;
}

}  // namespace mxcall::matrix
