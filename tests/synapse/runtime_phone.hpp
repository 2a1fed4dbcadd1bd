// Whole-call tests drive the product: mxcall::Phone (the runtime) in front of the test Synapse, with the fake media
// engine, which connects as soon as both descriptions are set. Only signalling is under test here.
#pragma once

#include <memory>

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

}  // namespace mxcall::testing
