#include "helpers.hpp"

#include <gtest/gtest.h>
#include <atomic>

namespace mxcall::testing {

using nlohmann::json;

matrix::ClientConfig test_config(const std::string& url) {
  matrix::ClientConfig config;
  config.homeserver = url.empty() ? SynapseEnvironment::server().url() : url;
  config.retry.max_attempts = 6;
  config.retry.max_total = std::chrono::milliseconds{20000};
  config.retry.initial_backoff = std::chrono::milliseconds{100};
  config.retry.max_backoff = std::chrono::milliseconds{2000};
  config.request_timeout = std::chrono::milliseconds{15000};
  config.connect_timeout = std::chrono::milliseconds{3000};
  return config;
}

std::unique_ptr<matrix::Client> make_client(const std::string& url) {
  return std::make_unique<matrix::Client>(test_config(url));
}

TestUser new_user(const std::string& prefix, matrix::ClientConfig config) {
  static std::atomic<int> counter{0};
  TestUser user;
  user.localpart = prefix + std::to_string(++counter) + "_" + std::to_string(::getpid());
  user.password = "pw-" + user.localpart;
  auto& server = SynapseEnvironment::server();
  user.user_id = server.user_id(user.localpart);
  std::string error;
  EXPECT_TRUE(server.register_user(user.localpart, user.password, &error)) << error;
  if (config.homeserver.empty()) config = test_config();
  user.client = std::make_unique<matrix::Client>(config);
  auto session = user.client->login_password(user.localpart, user.password);
  EXPECT_TRUE(session.ok()) << (session ? "" : session.error().message);
  return user;
}

std::string shared_room(TestUser& a, TestUser& b, bool encrypted) {
  json body = {{"preset", "private_chat"}, {"invite", {b.user_id}}};
  if (encrypted) {
    body["initial_state"] = json::array(
        {{{"type", "m.room.encryption"}, {"state_key", ""}, {"content", {{"algorithm", "m.megolm.v1.aes-sha2"}}}}});
  }
  auto room = a.client->create_room(body.dump());
  EXPECT_TRUE(room.ok()) << (room ? "" : room.error().message);
  if (!room) return {};
  auto joined = b.client->join(*room);
  EXPECT_TRUE(joined.ok()) << (joined ? "" : joined.error().message);
  return *room;
}

std::vector<json> room_events(matrix::Client& client, const std::string& room_id, const std::string& type, int limit) {
  std::vector<json> events;
  auto reply = client.messages(room_id, "b", limit);
  EXPECT_TRUE(reply.ok()) << (reply ? "" : reply.error().message);
  if (!reply) return events;
  auto j = json::parse(*reply);
  for (const auto& event : j["chunk"]) {
    if (type.empty() || event.value("type", "") == type) events.push_back(event);
  }
  std::reverse(events.begin(), events.end());
  return events;
}

namespace {
struct RemovedAtExit {
  std::filesystem::path path;
  ~RemovedAtExit() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};
}  // namespace

const std::filesystem::path& state_dir() {
  static const RemovedAtExit dir = [] {
    auto path = std::filesystem::temp_directory_path() / ("mxcall-test-state-" + std::to_string(::getpid()));
    std::filesystem::create_directories(path);
    return RemovedAtExit{path};
  }();
  return dir.path;
}

bool sync_until(matrix::Client& client, const std::function<bool(const matrix::SyncBatch&)>& seen,
                std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    matrix::SyncOptions options;
    options.timeout = std::chrono::milliseconds{1000};
    auto batch = client.sync(options);
    if (!batch) {
      ADD_FAILURE() << batch.error().message;
      return false;
    }
    (void)client.commit(*batch);
    if (seen(*batch)) return true;
  }
  return false;
}

}  // namespace mxcall::testing
