#include <fstream>
#include <iostream>

#include "replay.hpp"

namespace mxcall::tools {

int run_replay_command(const std::vector<std::string>& args) {
  if (args.size() > 1 || (!args.empty() && (args[0] == "--help" || args[0] == "-h"))) {
    std::cerr << "usage: mxcall replay [SCRIPT]\n"
                 "Runs the call engine over a script of JSON lines (docs/replay.md) and prints what it does.\n";
    return args.size() == 1 ? 0 : 2;
  }
  if (args.empty() || args[0] == "-") return run_replay(std::cin, std::cout, std::cerr);
  std::ifstream in(args[0]);
  if (!in) {
    std::cerr << "mxcall replay: cannot open " << args[0] << "\n";
    return 2;
  }
  return run_replay(in, std::cout, std::cerr);
}

}  // namespace mxcall::tools
