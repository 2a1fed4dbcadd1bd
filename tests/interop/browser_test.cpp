// The basic scenarios (basic_calls.cpp) with matrix-js-sdk inside headless Debian Chromium: mxcall against real
// browser WebRTC, the code Element Web runs.
#include "basic_calls.hpp"

namespace mxcall::interop {
namespace {

INSTANTIATE_TEST_SUITE_P(Chromium, BasicCalls, ::testing::Values(PeerKind::browser),
                         [](const ::testing::TestParamInfo<PeerKind>& param) { return to_string(param.param); });

}  // namespace
}  // namespace mxcall::interop
