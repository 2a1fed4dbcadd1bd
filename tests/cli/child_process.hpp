// The real `mxcall` binary as a child process of a test: its own session (no controlling terminal, so it can never
// prompt), its own process group, killed when the test process dies (PR_SET_PDEATHSIG) and in the destructor.
// Standard output and error go to files the test reads while the child runs.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mxcall::testing {

class ChildProcess {
 public:
  // `env` is added to this process's environment, from which every MXCALL_* variable is removed first.
  ChildProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
               const std::string& output_prefix);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  void signal(int signal_number) const;
  // The exit status, or 128 + signal when a signal ended it; nullopt when `timeout` passed (the child is then
  // killed, so a hung child never outlives its test).
  std::optional<int> wait(std::chrono::milliseconds timeout);
  // Waits until standard output contains `needle` (true), or the child ended or `timeout` passed (false).
  bool wait_for_output(const std::string& needle, std::chrono::milliseconds timeout);

  std::string out() const;
  std::string err() const;
  const std::string& command_line() const { return command_line_; }

 private:
  bool reap(bool block);
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string out_path_;
  std::string err_path_;
  std::string command_line_;
};

}  // namespace mxcall::testing
