#include "encryption_setup.hpp"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#ifdef MXCALL_RUNTIME_CRYPTO
#include "mxcall/crypto/olm_hook.hpp"
#endif

namespace mxcall {

#ifdef MXCALL_RUNTIME_CRYPTO
bool encryption_built() { return true; }
#else
bool encryption_built() { return false; }
#endif

std::string encryption_store_path(const PhoneConfig& config) {
  if (!config.encryption.store_path.empty()) return config.encryption.store_path;
  if (config.session_path.empty()) return {};
#ifdef MXCALL_RUNTIME_CRYPTO
  return crypto::store_path_for(config.session_path);
#else
  return config.session_path + ".crypto";
#endif
}

}  // namespace mxcall

namespace mxcall::runtime {

#ifdef MXCALL_RUNTIME_CRYPTO
namespace {

// Whether the homeserver holds device keys for this device (uploaded by an earlier run with its store).
Result<bool> server_has_device_keys(matrix::Client& client) {
  auto session = client.session();
  auto devices = client.devices_with_keys(session.user_id);
  if (!devices) return devices.error();
  return std::find(devices->begin(), devices->end(), session.device_id) != devices->end();
}

}  // namespace
#endif

Result<Encryption> open_encryption(matrix::Client& client, const PhoneConfig& config) {
  std::string store = encryption_store_path(config);
  if (!config.encryption.enabled || store.empty() || !encryption_built()) return Encryption{};
#ifdef MXCALL_RUNTIME_CRYPTO
  std::error_code ignored;
  bool create = false;
  if (!std::filesystem::exists(store, ignored)) {
    auto has_keys = server_has_device_keys(client);
    if (!has_keys) return has_keys.error();
    create = !*has_keys;
  }
  crypto::CryptoError error;
  auto hook = crypto::OlmCryptoHook::open_for(client, create, &error, config.encryption.passphrase, store);
  if (!hook) {
    std::string what = error.message;
    if (error.code == "wrong_passphrase" || error.code == "store_unreadable") {
      what += "; or, to start over with new keys, log out (which deletes the store) and log in again";
    }
    return Error{ErrorCode::crypto_store, what + " [" + error.code + "]"};
  }
  hook->set_new_room_key_per_call(config.encryption.new_room_key_per_call);
  Encryption result;
  auto identity = hook->machine().identity();
  if (identity.ok()) {
    auto keys = nlohmann::json::parse(*identity.value, nullptr, false);
    if (keys.is_object()) {
      result.identity = DeviceIdentity{keys.value("ed25519", ""), keys.value("curve25519", ""), store};
    }
  }
  client.set_crypto_hook(hook);
  // The device's keys go up now rather than after the first /sync: once connect returns, others can encrypt to this
  // device (a call placed to it before its keys are on the server could not be read here). A failure is not fatal:
  // the first sync asks again.
  (void)client.flush_crypto_requests();
  result.hook = std::move(hook);
  return result;
#else
  (void)client;
  return Encryption{};
#endif
}

}  // namespace mxcall::runtime
