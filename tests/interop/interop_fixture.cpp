#include "interop_fixture.hpp"

#include <cstdlib>
#include <filesystem>

namespace mxcall::interop {
namespace {

const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new testing::SynapseEnvironment([] {
  testing::SynapseOptions options;
  options.turn = false;  // loopback host candidates only; js-sdk then proceeds without TURN
  return options;
}()));

LoopThread* g_loop = nullptr;

}  // namespace

std::string peer_script(PeerKind kind) {
  return interop_dir() + (kind == PeerKind::browser ? "/browser_peer.mjs" : "/peer.mjs");
}

std::string chromium_binary() {
  const char* configured = std::getenv("MXCALL_CHROMIUM");  // the same variable browser_peer.mjs reads
  return configured ? configured : "/usr/bin/chromium";
}

std::string to_string(PeerKind kind) { return kind == PeerKind::browser ? "Chromium" : "Node"; }

std::optional<Json> js_rings(JsPeer& js, const std::string& call_id) { return js.wait_event("incoming", call_id, 15s); }

void InteropTest::SetUpTestSuite() {
  if (!g_loop) g_loop = new LoopThread;
}

void InteropTest::TearDownTestSuite() {
  delete g_loop;
  g_loop = nullptr;
}

Runtime& InteropTest::runtime() { return g_loop->runtime(); }

std::string InteropTest::homeserver() const { return testing::SynapseEnvironment::server().url(); }

void InteropTest::SetUp() {
  mx_user_ = testing::new_user("mx");
  js_user_ = testing::new_user("js");
  room_ = testing::shared_room(mx_user_, js_user_);
  ASSERT_FALSE(room_.empty());
}

std::unique_ptr<JsPeer> InteropTest::start_js(const std::string& name, int tone_hz, const std::string& device_id) {
  if (peer_ == PeerKind::browser && !std::filesystem::exists(chromium_binary())) {
    ADD_FAILURE() << chromium_binary() << " is missing: run scripts/install-deps.sh (package chromium)";
  }
  auto peer = std::make_unique<JsPeer>(name, peer_script(peer_));
  EXPECT_TRUE(peer->login(homeserver(), js_user_.localpart, js_user_.password, tone_hz, device_id));
  return peer;
}

std::unique_ptr<MxParty> InteropTest::start_mx(const std::string& name, double tone_hz, Timeouts timeouts) {
  return std::make_unique<MxParty>(runtime(), name, homeserver(), mx_user_.localpart, mx_user_.password, tone_hz,
                                   timeouts);
}

std::string InteropTest::js_call(JsPeer& js, bool video) {
  auto placed = js.command({{"cmd", "call"}, {"room_id", room_}, {"video", video}});
  return placed ? placed->value("call_id", "") : std::string{};
}

std::optional<CallRef> InteropTest::connected_call_from_js(JsPeer& js, MxParty& mx) {
  auto failed = [](const char* why) -> std::optional<CallRef> {
    ADD_FAILURE() << why;
    return std::nullopt;
  };
  std::string call_id = js_call(js);
  if (call_id.empty()) return failed("matrix-js-sdk could not place the call");
  auto incoming = mx.wait_incoming();
  if (!incoming) return failed("mxcall never rang for matrix-js-sdk's invite");
  mx.answer(incoming->call);
  if (!mx.wait_state(incoming->call, CallState::connected)) return failed("mxcall never reached connected");
  if (!js.reached(call_id, "connected")) return failed("matrix-js-sdk never reached connected");
  return incoming->call;
}

::testing::AssertionResult audio_both_ways(MxParty& mx, const CallRef& call, double js_tone, JsPeer& js,
                                           double mx_tone) {
  bool mx_hears = mx.hears(call, js_tone);
  bool js_hears = js.hears(call.call_id, mx_tone);
  if (mx_hears && js_hears) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << (mx_hears ? "" : "mxcall does not hear the JS tone; ")
                                       << (js_hears ? "" : "matrix-js-sdk does not hear the mxcall tone");
}

}  // namespace mxcall::interop
