// Interactive device verification (SAS: seven emoji or three numbers compared by people) and cross-signing of this
// device, for the session and encryption store a Phone uses (docs/crypto.md). One object, driven by one thread: it
// syncs when asked (sync_once), and every step sends its verification messages at once, not after the next sync.
// The protocol itself is matrix-sdk-crypto's (crypto/); without crypto/ in the build, open() says so.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "mxcall/phone.hpp"

namespace mxcall {

struct SasEmoji {
  std::string symbol;  // e.g. "🐶"
  std::string name;    // the spec's English name, e.g. "Dog"
};

struct VerificationFlow {
  std::string user_id;    // the other side
  std::string device_id;  // the other device (empty until one answered a request sent to several)
  std::string flow_id;
  // requested, ready, started, keys_exchanged (compare now), confirmed (by us; waiting for them), done, cancelled
  std::string state;
  bool we_started = false;
  std::vector<SasEmoji> emoji;  // 7 once the keys are exchanged (when both sides support emoji)
  std::vector<int> decimals;    // 3 numbers once the keys are exchanged
  std::string cancel_code;      // m.user, m.mismatched_sas, m.timeout, ... when cancelled
  std::string cancel_reason;
  bool cancelled_by_us = false;
};

struct CrossSigningStatus {
  bool has_master = false;  // private keys held in this device's store
  bool has_self_signing = false;
  bool has_user_signing = false;
  bool identity_on_server = false;  // our user has cross-signing keys on the homeserver
  bool device_signed = false;       // our self-signing key has signed this device
};

class DeviceVerification {
 public:
  // Logs in as Phone::connect does (session file, access token, or user and password) and opens the device's
  // encryption store; uploads the device keys if they are not up yet. ErrorCode::crypto_store when the build has no
  // crypto/ or the store does not open.
  static Result<std::unique_ptr<DeviceVerification>> open(const PhoneConfig& config);
  ~DeviceVerification();
  DeviceVerification(const DeviceVerification&) = delete;
  DeviceVerification& operator=(const DeviceVerification&) = delete;

  const std::string& user_id() const;
  const std::string& device_id() const;

  // One /sync, held by the server at most `wait`: verification messages reach the machine and what it answers on its
  // own (keys, MAC, done) is sent.
  matrix::Status sync_once(std::chrono::milliseconds wait);

  // Asks `user_id`'s device (all our own other devices, or another user's only device, when `device_id` is empty) to
  // verify; the user's devices are fetched first. Errors name unknown devices and list the known ones.
  Result<VerificationFlow> request(const std::string& user_id, const std::string& device_id = {});
  // Fetches `user_id`'s devices so that a request from one of them is taken (requests from unknown devices are
  // dropped by the library). Our own devices are known without this.
  matrix::Status watch(const std::string& user_id);
  // Every flow with the users asked or asking (our own user's always).
  Result<std::vector<VerificationFlow>> flows();

  Result<VerificationFlow> accept(const VerificationFlow& flow);      // an incoming request: ready (SAS only)
  Result<VerificationFlow> start_sas(const VerificationFlow& flow);   // once ready
  Result<VerificationFlow> accept_sas(const VerificationFlow& flow);  // their m.key.verification.start
  Result<VerificationFlow> confirm(const VerificationFlow& flow);     // the emoji match: MAC sent now
  Result<VerificationFlow> mismatch(const VerificationFlow& flow);    // they differ: cancelled (m.mismatched_sas)
  Result<VerificationFlow> cancel(const VerificationFlow& flow);      // m.user

  Result<CrossSigningStatus> cross_signing_status();
  // Makes and uploads cross-signing keys and signs this device with them, unless the device is signed already.
  // Refused (ErrorCode::crypto_store, [cross_signing_exists]) when our user has keys on the server that this store
  // lacks: replacing them would reset every trust in this account. `password` answers the homeserver's
  // user-interactive auth when it asks (empty: the error says to give it).
  Result<CrossSigningStatus> bootstrap_cross_signing(const std::string& password);

  struct Impl;

 private:
  explicit DeviceVerification(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mxcall
