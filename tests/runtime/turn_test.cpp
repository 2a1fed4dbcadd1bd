// The runtime hands the homeserver's TURN credentials to every media session it opens: a Synapse with
// turn_uris and a shared secret, two Phones, and a media engine that records each session's configuration.
#include <gtest/gtest.h>

#include "runtime_phone.hpp"

namespace mxcall::testing {
namespace {

using namespace std::chrono_literals;

const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new SynapseEnvironment([] {
  SynapseOptions options;
  options.turn = true;
  return options;
}()));

// The fake engine, remembering what each session was opened with. Used on the loop thread only.
class RecordingEngine final : public media::MediaEngine {
 public:
  std::optional<std::string> check_ready() override { return std::nullopt; }
  std::unique_ptr<media::MediaSession> open_session(const media::SessionConfig& config,
                                                    media::MediaEventSink& sink) override {
    configs.push_back(config);
    return fake_.open_session(config, sink);
  }
  std::vector<media::SessionConfig> configs;

 private:
  media::FakeMediaEngine fake_{media::FakeMediaOptions{true, true, true}};
};

TEST(RuntimeTurn, EverySessionGetsTheHomeserversTurnCredentials) {
  auto alice = new_user("alice");
  auto bob = new_user("bob");
  auto room = shared_room(alice, bob);
  Runtime runtime;
  auto engine = std::make_shared<RecordingEngine>();
  auto config_for = [&](const TestUser& user) {
    PhoneConfig config = phone_config(user);
    config.media_engine = engine;
    return config;
  };
  auto a = Phone::connect(runtime, config_for(alice));
  auto b = Phone::connect(runtime, config_for(bob));
  ASSERT_TRUE(a.ok() && b.ok());
  test::Recorder seen_a, seen_b;
  (*a)->set_observer(&seen_a);
  (*b)->set_observer(&seen_b);
  // The TURN thread fetches at once; give it a moment before the call, as a user would take one to dial.
  runtime.run_until([] { return false; }, 1s);
  auto call = (*a)->call(room);
  ASSERT_TRUE(call.ok());
  ASSERT_TRUE(runtime.run_until([&] { return seen_b.state(call->call_id) == CallState::ringing; }, 30s));
  (*b)->answer(*call);
  ASSERT_TRUE(runtime.run_until([&] { return seen_a.state(call->call_id) == CallState::connected; }, 30s));
  ASSERT_EQ(engine->configs.size(), 2u);  // the caller's session and the callee's
  for (const auto& config : engine->configs) {
    EXPECT_EQ(config.call, *call);
    ASSERT_EQ(config.ice_servers.size(), 1u);
    const auto& server = config.ice_servers[0];
    EXPECT_EQ(server.urls,
              (std::vector<std::string>{"turn:127.0.0.1:3478?transport=udp", "turn:127.0.0.1:3478?transport=tcp"}));
    // Synapse's shared-secret scheme: "<expiry>:<user id>" and an HMAC of it.
    EXPECT_NE(server.username.find(':'), std::string::npos) << server.username;
    EXPECT_FALSE(server.credential.empty());
  }
  (*a)->set_observer(nullptr);
  (*b)->set_observer(nullptr);
}

}  // namespace
}  // namespace mxcall::testing
