// The two users of the crypto unit tests and a machine opened for one of their devices.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "mxcall/crypto/machine.hpp"

namespace mxcall::testing {

inline constexpr const char* kAlice = "@alice:example.org";
inline constexpr const char* kBob = "@bob:example.org";

// A device's machine on the store at `path` (made when `create`); a failure is a test failure, with its code.
inline std::unique_ptr<crypto::Machine> open_machine(const std::string& user, const std::string& device,
                                                     const std::string& path, bool create = true) {
  crypto::CryptoError error;
  auto machine = crypto::Machine::open({user, device, path, "", create}, &error);
  EXPECT_TRUE(machine) << error.code << ": " << error.message;
  return machine;
}

}  // namespace mxcall::testing
