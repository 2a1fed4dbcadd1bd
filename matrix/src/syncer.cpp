#include "mxcall/matrix/syncer.hpp"

#include <algorithm>
#include <optional>

namespace mxcall::matrix {

Syncer::Syncer(Client& client, BatchCallback on_batch, ErrorCallback on_error, SyncerOptions options)
    : client_(client), on_batch_(std::move(on_batch)), on_error_(std::move(on_error)), options_(options) {}

Syncer::~Syncer() { stop(); }

void Syncer::start() {
  if (thread_.joinable()) return;
  stop_ = false;
  running_ = true;
  thread_ = std::thread([this] { run(); });
}

void Syncer::stop() {
  stop_ = true;
  client_.wake();
  {
    std::lock_guard lock(sleep_mutex_);
    sleep_cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  running_ = false;
}

void Syncer::run() {
  int failures = 0;
  // The pacing is a generic cell rate algorithm: `due` moves one min_interval later with each sync, and a sync may
  // start once it is no more than burst - 1 intervals ahead of now.
  const auto slack = options_.min_interval * (std::max(options_.burst, 1) - 1);
  std::optional<std::chrono::steady_clock::time_point> due;
  while (!stop_) {
    auto now = std::chrono::steady_clock::now();
    if (due && now < *due - slack) {
      std::unique_lock lock(sleep_mutex_);
      sleep_cv_.wait_until(lock, *due - slack, [this] { return stop_.load(); });
      if (stop_) break;
      now = std::chrono::steady_clock::now();
    }
    due = std::max(due.value_or(now), now) + options_.min_interval;
    SyncOptions sync_options;
    sync_options.timeout = options_.poll_timeout;
    sync_options.cancel = &stop_;
    auto batch = client_.sync(sync_options);
    if (stop_) break;
    if (!batch) {
      const Error& error = batch.error();
      bool fatal = error.code == ErrorCode::token_revoked || error.code == ErrorCode::not_logged_in ||
                   error.code == ErrorCode::cancelled || error.code == ErrorCode::tls_failure ||
                   error.code == ErrorCode::not_a_homeserver;
      if (fatal || ++failures >= options_.max_consecutive_failures) {
        running_ = false;
        if (on_error_) on_error_(error);
        return;
      }
      std::unique_lock lock(sleep_mutex_);
      sleep_cv_.wait_for(lock, options_.pause_after_failure, [this] { return stop_.load(); });
      continue;
    }
    failures = 0;
    on_batch_(*batch);
    ++batches_;
    // An unchanged token needs no write (and no fsync).
    if (batch->next_batch != batch->since) (void)client_.commit(*batch);
  }
  running_ = false;
}

}  // namespace mxcall::matrix
