// Whole-call tests drive the product: mxcall::Phone (the runtime) in front of the test Synapse, with the fake media
// engine, which connects as soon as both descriptions are set. Only signalling is under test here.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "helpers.hpp"
#include "mxcall/media/fake_media_engine.hpp"
#include "mxcall/phone.hpp"
#include "phone_recorder.hpp"

namespace mxcall::testing {

// A phone on the same device as `user`'s client (its access token), with the test clients' short retry budget.
inline PhoneConfig phone_config(const TestUser& user, matrix::RetryPolicy retry = test_config().retry) {
  PhoneConfig config;
  config.homeserver = SynapseEnvironment::server().url();
  config.access_token = user.client->session().access_token;
  config.retry = retry;
  config.media_engine = std::make_shared<media::FakeMediaEngine>(media::FakeMediaOptions{true, true, true});
  config.sync_timeout = std::chrono::milliseconds{5000};
  return config;
}

// A phone and what its observer was told. Observers run on the loop thread, which is the test's thread while it is
// inside Runtime::run_until.
struct Party {
  std::unique_ptr<Phone> phone;
  test::Recorder seen;

  Party(Runtime& runtime, PhoneConfig config) {
    auto connected = Phone::connect(runtime, std::move(config));
    EXPECT_TRUE(connected.ok()) << (connected ? "" : connected.error().message);
    if (connected) {
      phone = std::move(*connected);
      phone->set_observer(&seen);
    }
  }
  ~Party() {
    if (phone) phone->set_observer(nullptr);
  }
  Party(const Party&) = delete;
  Party& operator=(const Party&) = delete;
  Phone* operator->() { return phone.get(); }
};

// Whether both parties see `call_id` connected within `limit` (the loop runs meanwhile).
inline bool both_connected(Runtime& runtime, Party& a, Party& b, const std::string& call_id,
                           std::chrono::milliseconds limit) {
  return runtime.run_until(
      [&] { return a.seen.state(call_id) == CallState::connected && b.seen.state(call_id) == CallState::connected; },
      limit);
}

// The callee answers while Synapse is down for `down`: the answer waits in the send queue (and, in an encrypted
// room, its key sharing too) until the server is back; then the call connects, the caller hangs up, and the callee
// saw at least one transport error on the way.
inline void answer_across_a_synapse_restart(Runtime& runtime, Party& caller, Party& callee, const CallRef& call,
                                            std::chrono::milliseconds down) {
  using namespace std::chrono_literals;
  auto& server = SynapseEnvironment::server();
  server.stop();
  callee->answer(call);
  runtime.run_until([] { return false; }, down);
  std::string error;
  ASSERT_TRUE(server.start(&error)) << error;
  ASSERT_TRUE(both_connected(runtime, caller, callee, call.call_id, 60s));
  caller->hangup(call);
  ASSERT_TRUE(runtime.run_until([&] { return callee.seen.state(call.call_id) == CallState::ended; }, 30s));
  EXPECT_GE(callee->homeserver_stats()->transport_errors, 1u);
}

// The callee on two devices: both ring, `answering` answers, the caller connects and `other` stops ringing with
// answered_elsewhere (rule 37: a select_answer naming another party ends the call on that device).
inline void answer_on_one_of_two_devices(Runtime& runtime, Party& caller, Party& answering, Party& other,
                                         const CallRef& call) {
  using namespace std::chrono_literals;
  ASSERT_TRUE(runtime.run_until(
      [&] {
        return answering.seen.state(call.call_id) == CallState::ringing &&
               other.seen.state(call.call_id) == CallState::ringing;
      },
      30s));
  answering->answer(call);
  ASSERT_TRUE(runtime.run_until(
      [&] {
        return caller.seen.state(call.call_id) == CallState::connected &&
               other.seen.state(call.call_id) == CallState::ended;
      },
      30s));
  EXPECT_EQ(other.seen.end_reason(call.call_id), protocol::kEndedAnsweredElsewhere);
}

}  // namespace mxcall::testing
