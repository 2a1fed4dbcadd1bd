// Error construction shared by the client's source files.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "encryption.hpp"
#include "http.hpp"
#include "mxcall/matrix/client.hpp"
#include "mxcall/matrix/error.hpp"

namespace mxcall::matrix::detail {

Error cancelled_error();
Error transport_error(const TransportError& failure, const std::string& homeserver);
Error http_error(const HttpResponse& response, const std::string& homeserver, const std::string& path);
Error bad_response(const std::string& homeserver, const std::string& path, const std::string& what);
// The last error of a retried request, with how long and how often it was tried.
Error gave_up(Error last, int attempts, std::chrono::milliseconds elapsed);

}  // namespace mxcall::matrix::detail

namespace mxcall::matrix {

struct Client::State {
  explicit State(ClientConfig c) : config(std::move(c)) {}

  // Idle curl handles, reused so that connections (and TLS sessions) are kept.
  std::unique_ptr<detail::HttpHandle> take_handle() {
    std::lock_guard lock(pool_mutex);
    if (idle.empty()) return std::make_unique<detail::HttpHandle>();
    auto handle = std::move(idle.back());
    idle.pop_back();
    return handle;
  }
  void give_handle(std::unique_ptr<detail::HttpHandle> handle) {
    std::lock_guard lock(pool_mutex);
    idle.push_back(std::move(handle));
  }

  ClientConfig config;
  std::mutex pool_mutex;
  std::vector<std::unique_ptr<detail::HttpHandle>> idle;

  mutable std::mutex mutex;  // guards session, reserved_txn, encrypted_rooms, reported_rooms, hook
  Session session;
  std::uint64_t reserved_txn = 0;  // txn numbers below this are written to the session file as used
  std::set<std::string> encrypted_rooms;
  std::set<std::string> reported_rooms;
  std::shared_ptr<CryptoHook> hook;
  // The hook's request flow, the joined-members cache of encrypted rooms, events waiting for their room key.
  detail::EncryptionState encryption;
  std::atomic<bool> cancel{false};
  std::atomic<bool> answered{false};  // the homeserver answered once: a refused connection is no longer a wrong address
  std::string instance_tag;  // in every txn id, so a device whose session file was lost still never repeats one
  std::atomic<std::uint64_t> n_requests{0}, n_rate_limited{0}, n_server_errors{0}, n_transport_errors{0};  // stats()
  std::mutex sleep_mutex;
  std::condition_variable sleep_cv;  // back-off sleeps wait here, so cancel() and wake() end them at once
};

}  // namespace mxcall::matrix
