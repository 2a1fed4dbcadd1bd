// A Synapse without TURN settings: /voip/turnServer answers {} and that means "no TURN", not an error.
#include "helpers.hpp"
#include "mxcall/matrix/turn.hpp"

namespace mxcall::testing {
namespace {

const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new SynapseEnvironment([] {
  SynapseOptions options;
  options.turn = false;
  return options;
}()));

TEST(PlainTurn, EmptyObjectMeansNoTurn) {
  auto alice = new_user("alice");
  auto raw = alice.client->turn_server_json();
  ASSERT_TRUE(raw.ok()) << raw.error().message;
  EXPECT_EQ(nlohmann::json::parse(*raw), nlohmann::json::object());

  matrix::TurnRefresher turn(*alice.client);
  auto now = matrix::TurnRefresher::Clock::now();
  ASSERT_TRUE(turn.poll(now));
  EXPECT_EQ(turn.state(), matrix::TurnState::no_turn);
  EXPECT_FALSE(turn.current(now).has_value());
  EXPECT_FALSE(turn.last_error().has_value());
  // Checked again later (the admin may add TURN), not in a loop.
  EXPECT_FALSE(turn.poll(now + std::chrono::minutes{1}));
  EXPECT_TRUE(turn.poll(now + std::chrono::minutes{10}));
}

}  // namespace
}  // namespace mxcall::testing
