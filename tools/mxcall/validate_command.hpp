#pragma once

#include <string>
#include <vector>

namespace mxcall::tools {

// `mxcall validate [--strict] [--json] [FILE...]`. Returns the exit status: 0 when no event was invalid, 1 when any
// was, 2 on a usage or file error.
int run_validate(const std::vector<std::string>& args);

}  // namespace mxcall::tools
