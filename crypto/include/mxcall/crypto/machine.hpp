// The C ABI of the crypto crate (mxcall_crypto.h) as a C++ object: one OlmMachine and its store, closed by the
// destructor; every call returns the "ok" value as JSON text or the crate's error.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct MxcMachine;

namespace mxcall::crypto {

struct CryptoError {
  std::string code;     // stable (mxcall_crypto.h lists them), e.g. "wrong_passphrase", "missing_room_key"
  std::string message;  // one line for people
  bool retryable = false;
};

// The "ok" value of a call as JSON text, or its error.
struct Reply {
  std::optional<std::string> value;
  CryptoError error;
  bool ok() const { return value.has_value(); }
};

struct StoreOptions {
  std::string user_id;
  std::string device_id;
  std::string store_path;  // a folder (0700, files 0600); store_path_for() puts it beside the session file
  std::string passphrase;  // empty: the store's secrets are not encrypted at rest
  bool create = false;     // make the store when it does not exist (a fresh login); else a missing one is an error
};

// The store folder that goes with a session file: "<session file>.crypto".
std::string store_path_for(const std::string& session_path);

class Machine {
 public:
  // Opens (or creates) the store and the machine; nullptr and `*error` set on failure.
  static std::unique_ptr<Machine> open(const StoreOptions& options, CryptoError* error);
  ~Machine();
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  // {"user_id", "device_id", "ed25519", "curve25519", "store_path"}
  Reply identity() const;
  Reply receive_sync_changes(std::string_view changes_json) const;
  Reply outgoing_requests() const;
  Reply mark_request_sent(std::string_view id, std::string_view kind, std::string_view response_json) const;
  Reply encrypt(std::string_view input_json) const;
  Reply decrypt(std::string_view room_id, std::string_view event_json) const;
  // Device verification and cross-signing (mxc_verification, mxc_cross_signing): a command object in.
  Reply verification(std::string_view command_json) const;
  Reply cross_signing(std::string_view command_json) const;

 private:
  explicit Machine(MxcMachine* handle) : handle_(handle) {}
  MxcMachine* handle_;
};

}  // namespace mxcall::crypto
