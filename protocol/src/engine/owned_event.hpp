// Internal: a received event copied out of the reader's buffers, for the events that must outlive their batch (those
// that arrive before their invite). All its strings live in one allocation.
#pragma once

#include <memory>

#include "mxcall/protocol/call_events.hpp"

namespace mxcall::protocol::engine {

class OwnedEvent {
 public:
  explicit OwnedEvent(const RoomEvent& event);
  OwnedEvent(OwnedEvent&&) noexcept = default;
  OwnedEvent& operator=(OwnedEvent&&) noexcept = default;

  const RoomEvent& event() const { return event_; }
  std::size_t bytes() const { return size_; }

 private:
  RoomEvent event_;  // views into storage_
  std::unique_ptr<char[]> storage_;
  std::size_t size_ = 0;
};

}  // namespace mxcall::protocol::engine
