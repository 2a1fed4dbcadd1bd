// What the Synapse tests share: clients with short retry budgets, logged-in users, and reading a room back.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mxcall/matrix/client.hpp"
#include "synapse_environment.hpp"

namespace mxcall::testing {

// A client for `url` (default: the environment's Synapse) that retries briefly: tests must fail fast, not hang.
matrix::ClientConfig test_config(const std::string& url = {});
std::unique_ptr<matrix::Client> make_client(const std::string& url = {});

// Registers a fresh user (a unique localpart from `prefix`) and returns a client logged in as them.
struct TestUser {
  std::string localpart;
  std::string user_id;
  std::string password;
  std::unique_ptr<matrix::Client> client;
};
TestUser new_user(const std::string& prefix, matrix::ClientConfig config = {});

// Creates a room by `a`, invites and joins `b`. Returns the room id.
std::string shared_room(TestUser& a, TestUser& b, bool encrypted = false);

// The room's events from /messages, oldest first, only those of `type` (all when empty).
std::vector<nlohmann::json> room_events(matrix::Client& client, const std::string& room_id,
                                        const std::string& type = {}, int limit = 500);

// Session files and crypto stores of this program: a folder of its own under the temp directory, made on first use
// and removed when the program exits.
const std::filesystem::path& state_dir();

// Syncs (committing each batch) until `seen` returns true for a batch or `timeout` passes.
bool sync_until(matrix::Client& client, const std::function<bool(const matrix::SyncBatch&)>& seen,
                std::chrono::milliseconds timeout = std::chrono::milliseconds{15000});

}  // namespace mxcall::testing
