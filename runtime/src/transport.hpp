// Where a Phone's events come from and go to: a homeserver (homeserver_transport.cpp) or an in-process room
// (in_process_room.cpp). A transport does its blocking work on its own threads and hands every result to the loop.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "mxcall/media/media_engine.hpp"
#include "mxcall/phone.hpp"

namespace mxcall::runtime {

// One /sync-like batch, ready for the router: every room's timeline in one JSON array whose events carry their
// room_id (one read, one Router::sync_batch: rule 21 decides ringing after the whole batch).
struct InboundBatch {
  std::string timeline_json = "[]";
  std::vector<protocol::RoomJoinRule> join_rules;  // before the timeline
  std::vector<protocol::MemberLeft> members_left;  // after the timeline
  std::vector<std::string> notices;
};

// Called on the loop thread only. The functions hold weak references to their phone: they may outlive it.
struct TransportCallbacks {
  std::function<void(InboundBatch)> on_batch;
  std::function<void(SignallingTrace)> on_sent;  // an event that could not be sent (detail: why)
  std::function<void(Error)> on_fatal;
};

class Transport {
 public:
  virtual ~Transport() = default;
  virtual void start(TransportCallbacks callbacks) = 0;
  // Loop thread. Queued in order; the outcome arrives as on_sent.
  virtual void send(const std::string& room_id, const std::string& type, std::string content) = 0;
  // Loop thread. The ICE servers for a session opened now (TURN from the homeserver when it has any).
  virtual std::vector<media::IceServer> ice_servers() = 0;
  // Any thread. A room id for call(): room ids pass, aliases are joined, users get their direct-message room.
  virtual Result<std::string> resolve_target(const std::string& target) = 0;
  // Any thread. The other member when `room_id` is a direct chat with exactly one other joined member, for glare
  // (rule 58); nullopt when it is not one or that cannot be told (a failed lookup only costs glare, not the call).
  virtual std::optional<std::string> direct_peer(const std::string& /*room_id*/) { return std::nullopt; }
  // Not on the loop thread of a running loop. True once every queued send was handed over, false after `timeout`.
  virtual bool wait_sent(std::chrono::milliseconds timeout) = 0;
  virtual std::optional<matrix::ClientStats> client_stats() const { return std::nullopt; }
  // Stops and joins the transport's threads. Nothing is posted to the loop after it returns.
  virtual void stop() = 0;
};

}  // namespace mxcall::runtime
