#include "mxcall/crypto/olm_hook.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace mxcall::crypto {

using nlohmann::json;

namespace {

std::vector<matrix::CryptoRequest> read_requests(const json& array, std::string* error) {
  std::vector<matrix::CryptoRequest> requests;
  if (!array.is_array()) {
    *error = "the request list is not an array";
    return requests;
  }
  for (const auto& r : array) {
    if (!r.is_object() || !r.contains("body")) {
      *error = "a request is not an object with a body";
      return {};
    }
    requests.push_back(matrix::CryptoRequest{r.value("id", ""), r.value("kind", ""), r.value("method", ""),
                                             r.value("path", ""), r["body"].dump()});
  }
  return requests;
}

std::string describe(const CryptoError& error) { return error.message + " [" + error.code + "]"; }

OlmCryptoHook::CommandReply command_reply(const Reply& reply) {
  if (!reply.ok()) return {std::nullopt, {}, reply.error};
  auto value = json::parse(*reply.value, nullptr, false);
  std::string error;
  auto requests = read_requests(value.is_object() ? value.value("requests", json::array()) : json{}, &error);
  if (!error.empty()) return {std::nullopt, {}, CryptoError{"internal", error, false}};
  return {*reply.value, std::move(requests), {}};
}

}  // namespace

bool starts_call(std::string_view type) {
  return type == "m.call.invite" || type == "m.call.answer" || type == "org.matrix.call.invite" ||
         type == "org.matrix.call.answer";
}

std::shared_ptr<OlmCryptoHook> OlmCryptoHook::open(const StoreOptions& options, CryptoError* error) {
  auto machine = Machine::open(options, error);
  if (!machine) return nullptr;
  return std::shared_ptr<OlmCryptoHook>(new OlmCryptoHook(std::move(machine)));
}

std::shared_ptr<OlmCryptoHook> OlmCryptoHook::open_for(const matrix::Client& client, bool create, CryptoError* error,
                                                       const std::string& passphrase, const std::string& store_path) {
  auto session = client.session();
  StoreOptions options{session.user_id, session.device_id, store_path, passphrase, create};
  if (options.store_path.empty()) {
    if (client.config().session_path.empty()) {
      if (error) {
        *error = CryptoError{"bad_argument",
                             "the encryption store needs a place: set a session file (its store goes beside it) or a "
                             "store path",
                             false};
      }
      return nullptr;
    }
    options.store_path = store_path_for(client.config().session_path);
  }
  if (options.user_id.empty() || options.device_id.empty()) {
    if (error) *error = CryptoError{"bad_argument", "log in before opening the encryption store", false};
    return nullptr;
  }
  return open(options, error);
}

std::string OlmCryptoHook::curve25519_key() const {
  auto identity = machine_->identity();
  if (!identity.ok()) return {};
  return json::parse(*identity.value, nullptr, false).value("curve25519", "");
}

OlmCryptoHook::CommandReply OlmCryptoHook::verification(std::string_view command_json) {
  return command_reply(machine_->verification(command_json));
}

OlmCryptoHook::CommandReply OlmCryptoHook::cross_signing(std::string_view command_json) {
  return command_reply(machine_->cross_signing(command_json));
}

matrix::DecryptOutcome OlmCryptoHook::decrypt(std::string_view room_id, std::string_view event_json) {
  Reply reply = machine_->decrypt(room_id, event_json);
  if (!reply.ok()) return {std::nullopt, reply.error.retryable, describe(reply.error)};
  auto value = json::parse(*reply.value, nullptr, false);
  if (!value.is_object() || !value.contains("event") || !value["event"].is_object()) {
    return {std::nullopt, false, "the crypto library returned no event"};
  }
  return {value["event"].dump(), false, {}};
}

matrix::EncryptStep OlmCryptoHook::encrypt(std::string_view room_id, std::string_view type,
                                           std::string_view content_json, const std::vector<std::string>& members,
                                           bool first_step) {
  auto content = json::parse(content_json, nullptr, false);
  if (!content.is_object()) return {std::nullopt, {}, "the event content is not a JSON object"};
  json input = {{"room_id", room_id},
                {"type", type},
                {"content", std::move(content)},
                {"members", members},
                {"call_start", first_step && new_key_per_call_ && starts_call(type)}};
  Reply reply = machine_->encrypt(input.dump());
  if (!reply.ok()) return {std::nullopt, {}, describe(reply.error)};
  auto value = json::parse(*reply.value, nullptr, false);
  if (value.contains("content") && value["content"].is_object()) return {value["content"].dump(), {}, {}};
  std::string error;
  auto requests = read_requests(value.value("requests", json{}), &error);
  return {std::nullopt, std::move(requests), std::move(error)};
}

matrix::CryptoSyncResult OlmCryptoHook::receive_sync_changes(const matrix::CryptoSyncChanges& changes) {
  // The parts are JSON texts already; they are spliced, not parsed again.
  std::string input = R"({"to_device":)" + changes.to_device_json + R"(,"device_lists":)" + changes.device_lists_json +
                      R"(,"one_time_key_counts":)" + changes.one_time_key_counts_json;
  if (changes.unused_fallback_key_types_json) {
    input += R"(,"unused_fallback_key_types":)" + *changes.unused_fallback_key_types_json;
  }
  input += R"(,"next_batch":)" + json(changes.next_batch).dump() + "}";
  Reply reply = machine_->receive_sync_changes(input);
  if (!reply.ok()) return {{}, describe(reply.error)};
  matrix::CryptoSyncResult result;
  auto value = json::parse(*reply.value, nullptr, false);
  for (const auto& key : value.value("room_keys", json::array())) {
    std::string room = key.is_object() ? key.value("room_id", "") : "";
    if (!room.empty() && std::find(result.rooms_with_new_keys.begin(), result.rooms_with_new_keys.end(), room) ==
                             result.rooms_with_new_keys.end()) {
      result.rooms_with_new_keys.push_back(room);
    }
  }
  return result;
}

matrix::CryptoRequests OlmCryptoHook::outgoing_requests() {
  Reply reply = machine_->outgoing_requests();
  if (!reply.ok()) return {{}, describe(reply.error)};
  matrix::CryptoRequests result;
  result.requests = read_requests(json::parse(*reply.value, nullptr, false), &result.error);
  return result;
}

std::optional<std::string> OlmCryptoHook::mark_request_sent(const matrix::CryptoRequest& request,
                                                            std::string_view response_json) {
  Reply reply = machine_->mark_request_sent(request.id, request.kind, response_json);
  if (!reply.ok()) return describe(reply.error);
  return std::nullopt;
}

}  // namespace mxcall::crypto
