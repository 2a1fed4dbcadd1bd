// The call engine of one local party (user_id, party_id): all its calls, in all rooms.
//
// Feed it whole /sync batches, user actions, media events and the passing of time; take its outputs and execute them
// in order. It never blocks, never reads a clock and never does I/O, so the same inputs always give the same outputs:
// `mxcall replay`, the simulator and the fuzzer all drive it this way.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "mxcall/protocol/engine.hpp"
#include "mxcall/protocol/event_reader.hpp"

namespace mxcall::protocol {

class Router {
 public:
  Router(LocalParty me, Timeouts timeouts = {});
  ~Router();
  Router(Router&&) noexcept;
  Router& operator=(Router&&) noexcept;

  // One /sync batch (all rooms), in timeline order, as read by EventReader: the events only need to live for the
  // call. Incoming calls ring only after the whole batch is seen (rule 21).
  void sync_batch(std::span<const ReadResult> events, Millis now);

  void act(const UserAction& action, Millis now);
  void media_event(const MediaEvent& event, Millis now);
  void room_join_rule(const RoomJoinRule& rule, Millis now);
  void member_left(const MemberLeft& left, Millis now);

  // Fires every timer due at `now`. Call it at next_deadline() (or later: timers never fire early).
  void advance(Millis now);
  std::optional<Millis> next_deadline() const;

  // Everything decided since the last take, in order.
  std::vector<Output> take_outputs();
  // The same, swapped into `into` (cleared first): a caller that keeps one vector reuses its capacity.
  void take_outputs(std::vector<Output>& into);

  // For inspection (tests, tools): the state of a call, or nullopt when the router holds no live call by that key.
  std::optional<CallState> state_of(const CallRef& call) const;
  std::size_t live_calls() const;

  const LocalParty& me() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mxcall::protocol
