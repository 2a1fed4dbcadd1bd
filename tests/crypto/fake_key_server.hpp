// The key-related part of a homeserver, in memory: device keys, one-time keys, to-device inboxes. Enough for two
// Machines to set up Olm sessions and share Megolm room keys without Synapse, so the crate's whole flow (and its
// error paths) runs in a unit test.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mxcall/crypto/machine.hpp"

namespace mxcall::testing {

class FakeKeyServer {
 public:
  // The 2xx answer body to one request of `kind` from (user, device).
  nlohmann::json answer(const std::string& user, const std::string& device, const nlohmann::json& request);
  // Sends every request the machine has outgoing and marks each as sent. Returns how many were sent.
  int pump(const crypto::Machine& machine, const std::string& user, const std::string& device);
  // Encrypts through the request steps; `held` collects to-device requests instead of delivering them when given.
  nlohmann::json encrypt(const crypto::Machine& machine, const std::string& user, const std::string& device,
                         nlohmann::json input, std::vector<nlohmann::json>* held = nullptr);
  // Delivers held to-device requests as if they were sent now.
  void deliver(const std::string& user, const nlohmann::json& to_device_request);
  // The sync changes a device would get now (its to-device inbox, emptied; device-list changes since last time).
  nlohmann::json sync_changes(const std::string& user, const std::string& device);

 private:
  std::map<std::string, std::map<std::string, nlohmann::json>> device_keys_;  // user -> device -> keys
  std::map<std::string, std::map<std::string, nlohmann::json>> one_time_keys_;
  std::map<std::string, std::map<std::string, nlohmann::json>> inbox_;  // user -> device -> [events]
  std::map<std::string, std::vector<std::string>> changed_;             // device -> users whose devices changed
};

}  // namespace mxcall::testing
