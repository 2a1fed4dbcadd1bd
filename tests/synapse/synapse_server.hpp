// A real Synapse for tests: pinned in build/venv (tools/requirements/synapse.txt), SQLite, 127.0.0.1 on a free port,
// no federation, no stats, no URL previews, no key-server fetches. Started and stopped by the test process; the
// whole process group is killed in stop() and in the destructor, and PR_SET_PDEATHSIG kills it if the test process
// dies first, so no Synapse outlives its test.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>

#include <gtest/gtest.h>

namespace mxcall::testing {

struct SynapseOptions {
  bool turn = true;  // turn_uris + turn_shared_secret, so /voip/turnServer has credentials
  std::string turn_user_lifetime = "1h";
  double message_per_second = 1000;  // rc_message: the rate limit on sending events (and creating rooms)
  int message_burst = 1000;
  std::string server_name = "localhost";
};

class SynapseServer {
 public:
  explicit SynapseServer(SynapseOptions options = {});
  ~SynapseServer();
  SynapseServer(const SynapseServer&) = delete;
  SynapseServer& operator=(const SynapseServer&) = delete;

  // Starts Synapse and waits (at most `wait`) until it answers /versions. Keeps the port, database and keys across
  // stop()/start(), so a restart is the same homeserver. Returns false with a reason (and the log's tail).
  bool start(std::string* error, std::chrono::seconds wait = std::chrono::seconds{90});
  void stop();
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  const SynapseOptions& options() const { return options_; }
  std::string user_id(const std::string& localpart) const { return "@" + localpart + ":" + options_.server_name; }

  // Registers a user through the shared-secret admin API (the way `register_new_matrix_user` does).
  bool register_user(const std::string& localpart, const std::string& password, std::string* error, bool admin = false);
  // Overrides the sending rate limit (rc_message) for one user through the admin API, so a test can limit or free
  // one user on a shared Synapse. Whole numbers only (the admin API refuses fractions); 0 and 0 mean unlimited.
  bool override_ratelimit(const std::string& user_id, int per_second, int burst, std::string* error);
  std::string log_tail(int lines = 40) const;

 private:
  void write_config();
  SynapseOptions options_;
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  std::string admin_token_;
};

// Finds a free TCP port on 127.0.0.1 (bind to port 0, read it back, close).
int free_port();

// One Synapse for a whole test program: started before the first test, stopped after the last (also when tests
// failed, and then its log is printed). Tests reach it through SynapseEnvironment::server().
class SynapseEnvironment : public ::testing::Environment {
 public:
  explicit SynapseEnvironment(SynapseOptions options) : options_(std::move(options)) {}
  void SetUp() override;
  void TearDown() override;
  static SynapseServer& server();

 private:
  SynapseOptions options_;
};

}  // namespace mxcall::testing
