#pragma once

#include <string>
#include <vector>

namespace mxcall::tools {

// `mxcall demo [--video] [--seconds N] [--json]`: two parties in this process place and answer a real call over
// 127.0.0.1 (an in-process room, no homeserver). Exit status 0 only when each direction carried the other side's
// tone; 1 when not; 2 on a usage error.
int run_demo(const std::vector<std::string>& args);

}  // namespace mxcall::tools
