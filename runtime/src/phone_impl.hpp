// Internal: the Phone's implementation, shared by phone.cpp and phone_features.cpp.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "loop.hpp"
#include "mxcall/phone.hpp"
#include "phone_core.hpp"

namespace mxcall {

struct Phone::Impl {
  Runtime::Impl& loop;
  std::shared_ptr<runtime::PhoneCore> core;
  std::string user_id;
  std::string device_id;
  std::optional<DeviceIdentity> identity;  // end-to-end encryption, when on

  // Runs `fn` with the core on the loop thread, in order with the phone's other actions.
  void on_loop(std::function<void(runtime::PhoneCore&)> fn) {
    loop.post([weak = std::weak_ptr(core), fn = std::move(fn)] {
      if (auto alive = weak.lock()) fn(*alive);
    });
  }
};

namespace runtime {

// Call ids fit the opaque id grammar ([0-9A-Za-z._~-]) and are unique within the room: time plus 64 random bits.
inline std::string new_call_id() {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  static constexpr char kAlphabet[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::string id = "mx" +
                   std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count()) +
                   "-";
  std::uint64_t bits = random();
  for (int i = 0; i < 11; ++i, bits /= 62) id += kAlphabet[bits % 62];
  return id;
}

}  // namespace runtime

}  // namespace mxcall
