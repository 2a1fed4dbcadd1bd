// Internal: the router's calls by (room id, call id): open addressing with linear probing and backward-shift
// deletion, on a keyed hash (keyed_hash.hpp): linear probing degrades worst of all under crafted collisions. A lookup
// touches one slot (the hash and the call pointer) and then the call itself, which the caller needs anyway;
// std::unordered_map's node chains cost the engine a fifth of its time at 10,000 calls (bench/engine).
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "call.hpp"
#include "keyed_hash.hpp"

namespace mxcall::protocol::engine {

class CallTable {
 public:
  struct Slot {
    std::uint64_t hash = 0;
    std::shared_ptr<Call> call;  // empty slot when null
  };

  explicit CallTable(HashKey key) : key_(key) {}

  // Both ids are chosen by peers, so both are hashed, under the secret key.
  std::uint64_t hash_of(std::string_view room_id, std::string_view call_id) const {
    return call_key_hash(key_, room_id, call_id);
  }

  Slot* find(std::string_view room_id, std::string_view call_id) {
    if (size_ == 0) return nullptr;
    std::uint64_t h = hash_of(room_id, call_id);
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (!s.call) return nullptr;
      if (s.hash == h && s.call->ref().call_id == call_id && s.call->ref().room_id == room_id) return &s;
    }
  }

  // The call's key must not be in the table yet.
  Slot& insert(std::shared_ptr<Call> call) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    std::uint64_t h = hash_of(call->ref().room_id, call->ref().call_id);
    Slot& s = place(h);
    s.hash = h;
    s.call = std::move(call);
    ++size_;
    return s;
  }

  // Removes the slot's call, shifting later members of its probe run back so that lookups need no tombstones.
  void erase(Slot* slot) {
    std::size_t i = static_cast<std::size_t>(slot - slots_.data());
    slots_[i].call.reset();
    --size_;
    for (std::size_t j = (i + 1) & mask_; slots_[j].call; j = (j + 1) & mask_) {
      std::size_t home = slots_[j].hash & mask_;
      // Move j into the hole at i when its home position does not lie cyclically in (i, j].
      bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
      if (stays) continue;
      slots_[i] = std::move(slots_[j]);
      i = j;
    }
  }

  std::size_t size() const { return size_; }

  // In slot order, which depends on the key: callers that produce outputs must put what they visit in an order of
  // their own first, so that outputs never depend on the key.
  template <typename F>
  void for_each(F&& f) {
    for (Slot& s : slots_) {
      if (s.call) f(s.call);
    }
  }

 private:
  Slot& place(std::uint64_t h) {
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      if (!slots_[i].call) return slots_[i];
    }
  }

  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_ = std::vector<Slot>(old.empty() ? 1024 : old.size() * 2);
    mask_ = slots_.size() - 1;
    for (Slot& s : old) {
      if (!s.call) continue;
      Slot& target = place(s.hash);
      target = std::move(s);
    }
  }

  HashKey key_;
  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

}  // namespace mxcall::protocol::engine
