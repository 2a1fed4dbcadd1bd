// The /sync long-poll on its own thread. Each response is handed on whole (one callback per batch, rule 21) and only
// then committed as the new since token, so a crash mid-batch replays that batch instead of losing it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "mxcall/matrix/client.hpp"

namespace mxcall::matrix {

struct SyncerOptions {
  std::chrono::milliseconds poll_timeout{30000};
  // Each /sync already retries within the client's RetryPolicy; after this many failed syncs in a row (each one
  // having used up that budget) the syncer gives up and reports the error. A revoked token ends it at once.
  int max_consecutive_failures = 5;
  std::chrono::milliseconds pause_after_failure{2000};
  // A server that answers every long-poll at once (hostile or broken) would otherwise drive a tight loop of
  // requests and session-file writes: syncs start at most one per min_interval on average, with up to `burst` of
  // them back to back (a token bucket). The burst is for call setup: a caller's sync wakes for the echo of its own
  // invite and candidates just before the answer comes, and a fixed gap after each would hold that answer back
  // (up to 100 ms per sync, measured in bench/interop).
  std::chrono::milliseconds min_interval{100};
  int burst = 4;
};

class Syncer {
 public:
  using BatchCallback = std::function<void(const SyncBatch&)>;
  using ErrorCallback = std::function<void(const Error&)>;  // the syncer has stopped because of this error

  Syncer(Client& client, BatchCallback on_batch, ErrorCallback on_error = {}, SyncerOptions options = {});
  ~Syncer();
  Syncer(const Syncer&) = delete;
  Syncer& operator=(const Syncer&) = delete;

  void start();
  void stop();  // aborts the long-poll in flight and joins the thread
  bool running() const { return running_; }
  std::uint64_t batches() const { return batches_; }

 private:
  void run();
  Client& client_;
  BatchCallback on_batch_;
  ErrorCallback on_error_;
  SyncerOptions options_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> running_{false};
  std::atomic<std::uint64_t> batches_{0};
  std::mutex sleep_mutex_;
  std::condition_variable sleep_cv_;
};

}  // namespace mxcall::matrix
