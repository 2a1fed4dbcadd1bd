// What every interop scenario starts from: one Synapse for the program, and per test a fresh mxcall user and a fresh
// matrix-js-sdk user sharing a private room. Parties are started by the test (each JS party is a Node process, each
// mxcall party a Phone on the program's loop thread).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "helpers.hpp"
#include "js_peer.hpp"
#include "mx_party.hpp"

namespace mxcall::interop {

// Tones: each party sends its own frequency, so "hears X" proves whose audio arrived.
inline constexpr int kJsTone = 440;
inline constexpr int kJsSecondTone = 550;
inline constexpr double kMxTone = 660;
inline constexpr double kMxSecondTone = 770;

// Which matrix-js-sdk runs the JS side: Node on @roamhq/wrtc (peer.mjs) or headless Chromium (browser_peer.mjs).
enum class PeerKind : std::uint8_t { node, browser };
std::string peer_script(PeerKind kind);
std::string to_string(PeerKind kind);
std::string chromium_binary();

class InteropTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;

  // A JS party logged in as the test's JS user (a new device; `device_id` names it) and synced.
  std::unique_ptr<JsPeer> start_js(const std::string& name, int tone_hz, const std::string& device_id = {});
  // An mxcall party logged in as the test's mxcall user (a new device).
  std::unique_ptr<MxParty> start_mx(const std::string& name, double tone_hz, Timeouts timeouts = {});
  // Places a call from `js` in the room and returns its id (empty on failure).
  std::string js_call(JsPeer& js, bool video = false);
  // matrix-js-sdk calls the room, mxcall answers, and both sides reach connected: mxcall's view of the call, or
  // nullopt after a failure that names the step that did not happen.
  std::optional<CallRef> connected_call_from_js(JsPeer& js, MxParty& mx);

  static Runtime& runtime();
  std::string homeserver() const;

  PeerKind peer_ = PeerKind::node;
  testing::TestUser mx_user_;
  testing::TestUser js_user_;
  std::string room_;
};

// The JS party's incoming-call event for `call_id`, once it rang there.
std::optional<Json> js_rings(JsPeer& js, const std::string& call_id);

// Both sides' audio, by frequency: `mx` hears `js_tone` and `js` hears `mx_tone`.
::testing::AssertionResult audio_both_ways(MxParty& mx, const CallRef& call, double js_tone, JsPeer& js,
                                           double mx_tone);

}  // namespace mxcall::interop
