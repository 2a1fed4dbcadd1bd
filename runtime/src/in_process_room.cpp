#include "in_process_room.hpp"

#include <algorithm>

#include "mxcall/protocol/json_writer.hpp"

namespace mxcall {

void InProcessRoom::Impl::join(const std::string& user_id, std::function<void(runtime::InboundBatch)> deliver) {
  std::lock_guard lock(mutex_);
  members_.push_back({user_id, std::move(deliver)});
}

void InProcessRoom::Impl::leave(const std::string& user_id) {
  std::lock_guard lock(mutex_);
  std::erase_if(members_, [&](const Member& m) { return m.user_id == user_id; });
}

bool InProcessRoom::Impl::is_member(const std::string& user_id) const {
  std::lock_guard lock(mutex_);
  return std::any_of(members_.begin(), members_.end(), [&](const Member& m) { return m.user_id == user_id; });
}

void InProcessRoom::Impl::publish(const std::string& sender, const std::string& type, const std::string& content) {
  runtime::InboundBatch batch;
  std::vector<std::function<void(runtime::InboundBatch)>> recipients;
  {
    std::lock_guard lock(mutex_);
    auto now =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    batch.timeline_json.clear();
    protocol::JsonWriter w(batch.timeline_json);
    w.start_array().start_object();
    w.field("type", type).field("room_id", room_id).field("sender", sender);
    w.field("event_id", "$" + std::to_string(++events_) + ":mxcall.invalid");
    w.key("origin_server_ts").integer(now);
    w.key("unsigned").start_object().key("age").integer(0).end_object();
    w.key("content").raw(content);
    w.end_object().end_array();
    for (const auto& member : members_) recipients.push_back(member.deliver);
  }
  // On the loop, after the sender's current work: as a homeserver's echo arrives after the send returned.
  loop.post([recipients = std::move(recipients), batch = std::move(batch)] {
    for (const auto& deliver : recipients) deliver(batch);
  });
}

namespace runtime {

void RoomTransport::start(TransportCallbacks callbacks) {
  callbacks_ = std::move(callbacks);
  room_.join(user_id_, callbacks_.on_batch);
}

void RoomTransport::send(const std::string& room_id, const std::string& type, std::string content) {
  if (room_id != room_.room_id || !room_.is_member(user_id_)) {
    callbacks_.on_sent(SignallingTrace{SignallingTrace::Direction::sent,
                                       room_id,
                                       type,
                                       {},
                                       "not sent: " + user_id_ + " is not in " + room_id,
                                       std::chrono::system_clock::now()});
    return;
  }
  room_.publish(user_id_, type, content);
}

Result<std::string> RoomTransport::resolve_target(const std::string& target) {
  if (target == room_.room_id || room_.is_member(target)) return room_.room_id;
  return Error{ErrorCode::not_found,
               "'" + target + "' is neither the in-process room " + room_.room_id + " nor one of its members"};
}

}  // namespace runtime

InProcessRoom::InProcessRoom(Runtime& runtime, std::string room_id)
    : impl_(std::make_unique<Impl>(runtime.impl(), std::move(room_id))) {}
InProcessRoom::~InProcessRoom() = default;
const std::string& InProcessRoom::room_id() const { return impl_->room_id; }

}  // namespace mxcall
