// Internal: the router's bookkeeping types (router.cpp): its maps keyed by (room id, call id), the timer queue of
// its calls, the per-room and per-sender counts of Limits, the call ids it remembers after their end, and the events
// it holds for an invite that has not come yet.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "call.hpp"
#include "keyed_hash.hpp"
#include "mxcall/protocol/router.hpp"
#include "owned_event.hpp"

namespace mxcall::protocol::routing {

using engine::Call;
using engine::OwnedEvent;

struct KeyView {
  std::string_view room_id;
  std::string_view call_id;
};

// Both ids come from peers: keyed (keyed_hash.hpp), so that no peer can make them collide.
struct KeyHash {
  using is_transparent = void;
  engine::HashKey key;
  std::size_t operator()(const KeyView& k) const { return engine::call_key_hash(key, k.room_id, k.call_id); }
  std::size_t operator()(const CallRef& k) const { return (*this)(KeyView{k.room_id, k.call_id}); }
};

struct KeyEqual {
  using is_transparent = void;
  static KeyView view(const CallRef& k) { return {k.room_id, k.call_id}; }
  static KeyView view(const KeyView& k) { return k; }
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    return view(a).room_id == view(b).room_id && view(a).call_id == view(b).call_id;
  }
};

template <typename V>
using CallMap = std::unordered_map<CallRef, V, KeyHash, KeyEqual>;

// When a call's next deadline is due. Entries point at their call weakly: a call that ended and was retired, or
// whose deadline moved, leaves a stale entry behind, which the mutating calls drop (drop_stale_wakeups).
struct Wakeup {
  Millis at;
  std::weak_ptr<Call> call;
  bool operator>(const Wakeup& other) const { return at > other.at; }
};

// Live calls per room and incoming calls per sender (Limits), by the peer-chosen string.
using Counts = std::unordered_map<std::string, std::uint32_t, engine::KeyedStringHash, std::equal_to<>>;

inline engine::HashKey hash_key_of(const Limits& limits) {
  return limits.hash_key ? engine::HashKey{(*limits.hash_key)[0], (*limits.hash_key)[1]} : engine::HashKey::random();
}

struct Remembered {
  Millis until = 0;
  std::string_view why;      // why later events for this call id are ignored (always a literal)
  std::uint32_t queued = 0;  // entries in forget_ that point here: the entry lives at least as long
};

struct EarlyEvents {
  Millis first_seen;
  std::vector<OwnedEvent> events;
  std::size_t bytes = 0;
};

}  // namespace mxcall::protocol::routing
