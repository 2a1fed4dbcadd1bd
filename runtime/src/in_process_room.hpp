// An in-process stand-in for a homeserver room (the demo, tests): each event a member sends becomes, on the loop, a
// one-event batch for every member (the sender too: the router drops its own echo), with an event id and an
// origin_server_ts, as a homeserver would deliver it.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "loop.hpp"
#include "transport.hpp"

namespace mxcall {

struct InProcessRoom::Impl {
  Impl(Runtime::Impl& runtime_loop, std::string id) : loop(runtime_loop), room_id(std::move(id)) {}

  void join(const std::string& user_id, std::function<void(runtime::InboundBatch)> deliver);
  void leave(const std::string& user_id);
  bool is_member(const std::string& user_id) const;
  void publish(const std::string& sender, const std::string& type, const std::string& content);

  Runtime::Impl& loop;
  const std::string room_id;

 private:
  struct Member {
    std::string user_id;
    std::function<void(runtime::InboundBatch)> deliver;
  };
  mutable std::mutex mutex_;
  std::vector<Member> members_;
  std::uint64_t events_ = 0;
};

namespace runtime {

// One member's view of the room.
class RoomTransport final : public Transport {
 public:
  RoomTransport(InProcessRoom::Impl& room, std::string user_id) : room_(room), user_id_(std::move(user_id)) {}
  ~RoomTransport() override { stop(); }

  void start(TransportCallbacks callbacks) override;
  void send(const std::string& room_id, const std::string& type, std::string content) override;
  std::vector<media::IceServer> ice_servers() override { return {}; }
  Result<std::string> resolve_target(const std::string& target) override;
  bool wait_sent(std::chrono::milliseconds) override { return true; }  // delivery is posted at once
  void stop() override { room_.leave(user_id_); }

 private:
  InProcessRoom::Impl& room_;
  std::string user_id_;
  TransportCallbacks callbacks_;
};

}  // namespace runtime
}  // namespace mxcall
