// Opening a phone's end-to-end encryption (crypto/, when built): the device's store beside its session file, plugged
// into the homeserver client as its CryptoHook before the first /sync.
#pragma once

#include <memory>
#include <optional>

#include "mxcall/matrix/client.hpp"
#include "mxcall/phone.hpp"

namespace mxcall::runtime {

// A homeserver client logged in from `config` as Phone::connect does: an access token, else a user and password,
// else the saved session file.
Result<std::unique_ptr<matrix::Client>> log_in(const PhoneConfig& config);

struct Encryption {
  std::shared_ptr<matrix::CryptoHook> hook;  // null: encryption is off (see EncryptionConfig)
  std::optional<DeviceIdentity> identity;
};

// For a logged-in `client`. A missing store is created only when the homeserver has no keys for this device yet (a
// fresh login); a device whose keys the server has but whose store is gone cannot decrypt, and says so (log in
// again). Errors (ErrorCode::crypto_store) say what to do.
Result<Encryption> open_encryption(matrix::Client& client, const PhoneConfig& config);

}  // namespace mxcall::runtime
