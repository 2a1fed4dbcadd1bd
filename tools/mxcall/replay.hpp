// `mxcall replay`: the call engine over a scripted timeline (docs/replay.md).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace mxcall::tools {

// Runs a script from `in`, printing the engine's outputs as JSON lines to `out`. Returns 0, or 2 after printing
// "replay: line N: ..." to `err` for a bad line.
int run_replay(std::istream& in, std::ostream& out, std::ostream& err);

// The command: `mxcall replay [FILE]` (standard input when there is none).
int run_replay_command(const std::vector<std::string>& args);

}  // namespace mxcall::tools
