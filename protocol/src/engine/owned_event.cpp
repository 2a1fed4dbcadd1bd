#include "owned_event.hpp"

#include <cstring>

#include "content_strings.hpp"

namespace mxcall::protocol::engine {

namespace {

template <typename F>
void for_each_event_string(RoomEvent& event, F&& f) {
  f(event.type);
  f(event.sender);
  f(event.room_id);
  f(event.event_id);
  for_each_string(event.content, [&](std::string_view, std::string_view& s) { f(s); });
}

}  // namespace

OwnedEvent::OwnedEvent(const RoomEvent& event) : event_(event) {
  for_each_event_string(event_, [&](std::string_view& s) { size_ += s.size(); });
  storage_ = std::make_unique<char[]>(size_ + 1);
  char* next = storage_.get();
  for_each_event_string(event_, [&](std::string_view& s) {
    if (!s.empty()) std::memcpy(next, s.data(), s.size());
    s = std::string_view(next, s.size());
    next += s.size();
  });
}

}  // namespace mxcall::protocol::engine
