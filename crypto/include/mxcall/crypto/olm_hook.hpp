// The homeserver client's CryptoHook implemented with matrix-sdk-crypto (through Machine): Olm sessions with every
// device of the room's members, Megolm room keys shared with them before an event is encrypted, and decryption
// whose sender and device checks are the library's. The call layers above only ever see plain m.call.* events.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "mxcall/crypto/machine.hpp"
#include "mxcall/matrix/client.hpp"

namespace mxcall::crypto {

class OlmCryptoHook final : public matrix::CryptoHook {
 public:
  // nullptr and `*error` set when the store does not open (missing, wrong passphrase, another device's).
  static std::shared_ptr<OlmCryptoHook> open(const StoreOptions& options, CryptoError* error);
  // For a logged-in client: its user and device, the store beside its session file (ClientConfig::session_path;
  // `store_path` when that is empty or to put it elsewhere). `create` is for a fresh login: a resumed session
  // whose store is gone must fail (store_missing) rather than start over with keys the server does not have.
  static std::shared_ptr<OlmCryptoHook> open_for(const matrix::Client& client, bool create, CryptoError* error,
                                                 const std::string& passphrase = {},
                                                 const std::string& store_path = {});

  matrix::DecryptOutcome decrypt(std::string_view room_id, std::string_view event_json) override;
  matrix::EncryptStep encrypt(std::string_view room_id, std::string_view type, std::string_view content_json,
                              const std::vector<std::string>& members, bool first_step) override;
  matrix::CryptoSyncResult receive_sync_changes(const matrix::CryptoSyncChanges& changes) override;
  matrix::CryptoRequests outgoing_requests() override;
  std::optional<std::string> mark_request_sent(const matrix::CryptoRequest& request,
                                               std::string_view response_json) override;

  // On (the default): at the first event of a call on each side (see starts_call), a room key that could reach its
  // rotation limit during the call (fewer than 50 of its 100 messages left, or expired) is replaced then, so key
  // sharing never falls on a candidate batch mid-call. Off: the key is rotated only when the library's limits or a
  // member leaving require it, on whichever event that is.
  void set_new_room_key_per_call(bool on) { new_key_per_call_ = on; }

  // A device verification or cross-signing command (mxcall_crypto.h: mxc_verification, mxc_cross_signing): the
  // answer's JSON and the requests it carries, to be sent now with matrix::Client::send_hook_requests.
  struct CommandReply {
    std::optional<std::string> value_json;
    std::vector<matrix::CryptoRequest> requests;
    CryptoError error;  // when value_json is empty
  };
  CommandReply verification(std::string_view command_json);
  CommandReply cross_signing(std::string_view command_json);

  const Machine& machine() const { return *machine_; }
  // This device's Curve25519 identity key (base64): what other devices know it by.
  std::string curve25519_key() const;

 private:
  explicit OlmCryptoHook(std::unique_ptr<Machine> machine) : machine_(std::move(machine)) {}
  std::unique_ptr<Machine> machine_;
  std::atomic<bool> new_key_per_call_{true};
};

// True for the event types that begin a call on the sender's side (invite, answer): where the hook renews a room key
// that could run out during the call.
bool starts_call(std::string_view type);

}  // namespace mxcall::crypto
