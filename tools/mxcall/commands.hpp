// Every subcommand's entry point: arguments after the subcommand's name in, exit status (exit_codes.hpp) out.
#pragma once

#include <string>
#include <vector>

namespace mxcall::tools {

int run_login(const std::vector<std::string>& args);
int run_logout(const std::vector<std::string>& args);
int run_whoami(const std::vector<std::string>& args);
int run_call(const std::vector<std::string>& args);
int run_answer(const std::vector<std::string>& args);
int run_create_dm(const std::vector<std::string>& args);
int run_transfer(const std::vector<std::string>& args);
int run_verify(const std::vector<std::string>& args);

}  // namespace mxcall::tools
