// mxcall: the command-line program. Each subcommand lives in its own file.
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "demo_command.hpp"
#include "replay.hpp"
#include "validate_command.hpp"

namespace {

constexpr std::string_view kUsage =
    "usage: mxcall <command> [options]\n"
    "commands:\n"
    "  demo [--video] [--seconds N] [--json]    a real call between two parties in this process (127.0.0.1)\n"
    "  validate [--strict] [--json] [FILE...]   check m.call.* room events (see mxcall validate --help)\n"
    "  replay [SCRIPT]                          run the call engine over a scripted timeline (docs/replay.md)\n";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  std::string command = args[0];
  args.erase(args.begin());
#ifdef MXCALL_HAS_RUNTIME
  if (command == "demo") return mxcall::tools::run_demo(args);
#endif
  if (command == "validate") return mxcall::tools::run_validate(args);
  if (command == "replay") return mxcall::tools::run_replay_command(args);
  std::cerr << "mxcall: unknown command '" << command << "'\n" << kUsage;
  return 2;
}
