// Internal: every deadline of one call in one table indexed by what it is for, so that stopping them all, finding
// the next one and firing them in a fixed order are each written once.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>

#include "mxcall/protocol/engine.hpp"

namespace mxcall::protocol::engine {

inline constexpr Millis kNever = std::numeric_limits<Millis>::max();

// In the order they fire when several are due at once: a call that has timed out does not flush or restart first.
enum class Timer : std::uint8_t {
  invite_expiry,     // caller: invite_timeout (rule 28); callee: ringing stops (rule 19)
  candidate_flush,   // our next candidate batch goes out (rule 31)
  negotiate_expiry,  // our renegotiation offer went unanswered (rule 55)
  connect,           // answered or selected, but media never connected
  ice_hangup,        // ICE stayed disconnected or failed too long
  ice_restart,       // ICE disconnected long enough to try a restart
  transfer_await,    // an accepted await_call transfer: the target's invite never came (rule T7)
};
inline constexpr std::array kTimersInFiringOrder{Timer::invite_expiry, Timer::candidate_flush, Timer::negotiate_expiry,
                                                 Timer::connect,       Timer::ice_hangup,      Timer::ice_restart,
                                                 Timer::transfer_await};

class TimerTable {
 public:
  void set(Timer timer, Millis at) { at_[index(timer)] = at; }
  void stop(Timer timer) { at_[index(timer)] = kNever; }
  void stop_all() { at_.fill(kNever); }
  Millis at(Timer timer) const { return at_[index(timer)]; }
  bool is_set(Timer timer) const { return at_[index(timer)] != kNever; }
  bool expired(Timer timer, Millis now) const { return at_[index(timer)] <= now; }
  // The earliest deadline, kNever when none is set.
  Millis next() const { return *std::min_element(at_.begin(), at_.end()); }

 private:
  static constexpr std::size_t index(Timer timer) { return static_cast<std::size_t>(timer); }

  std::array<Millis, kTimersInFiringOrder.size()> at_ = [] {
    std::array<Millis, kTimersInFiringOrder.size()> never{};
    never.fill(kNever);
    return never;
  }();
};

}  // namespace mxcall::protocol::engine
