// A deterministic simulation of one room: a homeserver that delivers events to 2-4 devices in sync batches with
// random delays, batching and duplicate delivery; random user actions; the fake media engine, connected through a
// simulated network when two sessions hold each other's descriptions. Each seed is one reproducible run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mxcall::sim {

struct SimReport {
  std::uint32_t seed = 0;
  std::vector<std::string> violations;  // empty when every invariant held
  std::string log;                      // what happened, for a failing seed
  // What the run exercised, so a test can check the simulator is not idle.
  int calls_placed = 0;
  int calls_connected = 0;
  int glare_runs = 0;
  int stranger_invites = 0;  // runs where a third user's invite crossed alice's call
  int events_delivered = 0;
  int duplicates_delivered = 0;
};

SimReport run_simulation(std::uint32_t seed);

}  // namespace mxcall::sim
