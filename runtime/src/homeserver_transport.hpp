// A Phone in front of a homeserver: the /sync thread (matrix::Syncer), the send threads (matrix::SendQueue) and a
// TURN thread that fetches and refreshes /voip/turnServer (matrix::TurnRefresher). Each hands its results to the
// loop; none touches the router.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "loop.hpp"
#include "mxcall/matrix/client.hpp"
#include "mxcall/matrix/send_queue.hpp"
#include "mxcall/matrix/syncer.hpp"
#include "mxcall/matrix/turn.hpp"
#include "transport.hpp"

namespace mxcall::runtime {

class HomeserverTransport final : public Transport {
 public:
  // `client` is logged in.
  HomeserverTransport(Runtime::Impl& loop, std::unique_ptr<matrix::Client> client, const PhoneConfig& config);
  ~HomeserverTransport() override;

  void start(TransportCallbacks callbacks) override;
  void send(const std::string& room_id, const std::string& type, std::string content) override;
  std::vector<media::IceServer> ice_servers() override;
  Result<std::string> resolve_target(const std::string& target) override;
  std::optional<std::string> direct_peer(const std::string& room_id) override;
  bool wait_sent(std::chrono::milliseconds timeout) override;
  void stop() override;
  std::optional<matrix::ClientStats> client_stats() const override { return client_->stats(); }

  matrix::Client& client() { return *client_; }

 private:
  void on_sync_batch(const matrix::SyncBatch& batch);  // sync thread
  void join_invites(const matrix::SyncBatch& batch);   // sync thread
  void run_turn();                                     // TURN thread

  Runtime::Impl& loop_;
  std::unique_ptr<matrix::Client> client_;
  bool join_invites_;
  std::vector<std::string> join_invites_from_;
  std::chrono::milliseconds sync_timeout_;
  TransportCallbacks callbacks_;
  std::unique_ptr<matrix::SendQueue> queue_;
  std::unique_ptr<matrix::Syncer> syncer_;
  matrix::TurnRefresher turn_;
  std::thread turn_thread_;
  std::mutex turn_mutex_;
  std::condition_variable turn_cv_;
  bool stopping_ = false;
};

}  // namespace mxcall::runtime
