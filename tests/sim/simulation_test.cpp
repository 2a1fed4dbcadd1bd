// Runs the simulation over many seeds and checks its invariants after every run.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "simulation.hpp"

namespace mxcall::sim {
namespace {

std::uint32_t env_number(const char* name, std::uint32_t fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? static_cast<std::uint32_t>(std::strtoul(value, nullptr, 10)) : fallback;
}

TEST(Simulation, InvariantsHoldForEverySeed) {
  if (std::getenv("MXCALL_SIM_SEED") != nullptr) {
    SimReport report = run_simulation(env_number("MXCALL_SIM_SEED", 0));
    std::cout << report.log;
    for (const auto& v : report.violations) ADD_FAILURE() << "seed " << report.seed << ": " << v;
    return;
  }
  const std::uint32_t runs = env_number("MXCALL_SIM_RUNS", 10000);
  int placed = 0, connected = 0, glare = 0, strangers = 0, delivered = 0, duplicates = 0, failed = 0;
  for (std::uint32_t seed = 1; seed <= runs; ++seed) {
    SimReport report = run_simulation(seed);
    placed += report.calls_placed;
    connected += report.calls_connected;
    glare += report.glare_runs;
    strangers += report.stranger_invites;
    delivered += report.events_delivered;
    duplicates += report.duplicates_delivered;
    if (!report.violations.empty() && ++failed <= 5) {
      std::string all;
      for (const auto& v : report.violations) all += "\n  " + v;
      ADD_FAILURE() << "seed " << seed << " broke an invariant (replay it alone: MXCALL_SIM_SEED=" << seed
                    << " ./simulation_tests):" << all;
    }
  }
  std::cout << runs << " runs: " << placed << " calls placed, " << connected << " connected, " << glare
            << " glare runs, " << strangers << " stranger invites, " << delivered << " events delivered (" << duplicates
            << " duplicates), " << failed << " runs failed\n";
  EXPECT_EQ(failed, 0);
  // The simulation must really exercise the engine, not idle through it.
  EXPECT_GT(connected, static_cast<int>(runs) / 5);
  EXPECT_GT(glare, static_cast<int>(runs) / 10);
  EXPECT_GT(strangers, static_cast<int>(runs) / 10);
  EXPECT_GT(duplicates, static_cast<int>(runs) / 10);
}

}  // namespace
}  // namespace mxcall::sim
