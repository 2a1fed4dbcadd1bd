#include "fake_key_server.hpp"

#include <gtest/gtest.h>

namespace mxcall::testing {

using nlohmann::json;

json FakeKeyServer::answer(const std::string& user, const std::string& device, const json& request) {
  const std::string kind = request.at("kind");
  const json& body = request.at("body");
  if (kind == "keys_upload") {
    if (body.contains("device_keys")) {
      device_keys_[user][device] = body["device_keys"];
      for (const auto& [other_user, devices] : device_keys_) {
        for (const auto& [other_device, keys] : devices) {
          if (other_user != user || other_device != device) changed_[other_user + "|" + other_device].push_back(user);
        }
      }
    }
    auto& keys = one_time_keys_[user][device];
    if (!keys.is_object()) keys = json::object();
    const json uploaded = body.value("one_time_keys", json::object());
    for (const auto& [id, key] : uploaded.items()) keys[id] = key;
    return {{"one_time_key_counts", {{"signed_curve25519", keys.size()}}}};
  }
  if (kind == "keys_query") {
    json result = {{"device_keys", json::object()}, {"failures", json::object()}};
    for (const auto& [queried, devices] : body.at("device_keys").items()) {
      json found = json::object();
      for (const auto& [id, keys] : device_keys_[queried]) found[id] = keys;
      result["device_keys"][queried] = found;
    }
    return result;
  }
  if (kind == "keys_claim") {
    json result = {{"one_time_keys", json::object()}, {"failures", json::object()}};
    for (const auto& [claimed_user, devices] : body.at("one_time_keys").items()) {
      for (const auto& [claimed_device, algorithm] : devices.items()) {
        auto& keys = one_time_keys_[claimed_user][claimed_device];
        for (auto it = keys.begin(); keys.is_object() && it != keys.end(); ++it) {
          if (it.key().rfind(algorithm.get<std::string>() + ":", 0) == 0) {
            result["one_time_keys"][claimed_user][claimed_device] = {{it.key(), it.value()}};
            keys.erase(it);
            break;
          }
        }
      }
    }
    return result;
  }
  if (kind == "to_device") {
    deliver(user, request);
    return json::object();
  }
  if (kind == "signature_upload") return {{"failures", json::object()}};
  ADD_FAILURE() << "the fake key server does not answer " << kind;
  return json::object();
}

void FakeKeyServer::deliver(const std::string& user, const json& request) {
  const std::string path = request.at("path");
  const std::string prefix = "/_matrix/client/v3/sendToDevice/";
  ASSERT_EQ(path.rfind(prefix, 0), 0u) << path;
  std::string type = path.substr(prefix.size(), path.find('/', prefix.size()) - prefix.size());
  for (const auto& [to_user, devices] : request.at("body").at("messages").items()) {
    for (const auto& [to_device, content] : devices.items()) {
      auto& box = inbox_[to_user][to_device];
      if (!box.is_array()) box = json::array();
      box.push_back({{"sender", user}, {"type", type}, {"content", content}});
    }
  }
}

int FakeKeyServer::pump(const crypto::Machine& machine, const std::string& user, const std::string& device) {
  auto reply = machine.outgoing_requests();
  EXPECT_TRUE(reply.ok()) << reply.error.message;
  if (!reply.ok()) return 0;
  int sent = 0;
  for (const auto& request : json::parse(*reply.value)) {
    auto marked = machine.mark_request_sent(request["id"].get<std::string>(), request["kind"].get<std::string>(),
                                            answer(user, device, request).dump());
    EXPECT_TRUE(marked.ok()) << marked.error.message;
    ++sent;
  }
  return sent;
}

json FakeKeyServer::encrypt(const crypto::Machine& machine, const std::string& user, const std::string& device,
                            json input, std::vector<json>* held) {
  for (int step = 0; step < 8; ++step) {
    auto reply = machine.encrypt(input.dump());
    if (!reply.ok()) {
      ADD_FAILURE() << reply.error.code << ": " << reply.error.message;
      return {};
    }
    auto value = json::parse(*reply.value);
    if (value.contains("content")) return value["content"];
    for (const auto& request : value.at("requests")) {
      json response = (held && request["kind"] == "to_device") ? json::object() : answer(user, device, request);
      if (held && request["kind"] == "to_device") held->push_back(request);
      auto marked = machine.mark_request_sent(request["id"].get<std::string>(), request["kind"].get<std::string>(),
                                              response.dump());
      EXPECT_TRUE(marked.ok()) << marked.error.message;
    }
    input["call_start"] = false;
  }
  ADD_FAILURE() << "no content after 8 steps";
  return {};
}

json FakeKeyServer::sync_changes(const std::string& user, const std::string& device) {
  json inbox = json::array();
  auto& box = inbox_[user][device];
  if (box.is_array()) inbox = std::move(box);
  box = json::array();
  json changed = json::array();
  for (const auto& u : changed_[user + "|" + device]) changed.push_back(u);
  changed_[user + "|" + device].clear();
  auto& keys = one_time_keys_[user][device];
  return {{"to_device", inbox},
          {"device_lists", {{"changed", changed}, {"left", json::array()}}},
          {"one_time_key_counts", {{"signed_curve25519", keys.is_object() ? keys.size() : 0}}},
          {"next_batch", "s1"}};
}

}  // namespace mxcall::testing
