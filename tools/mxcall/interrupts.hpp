// Ctrl-C for the call commands: the first SIGINT or SIGTERM asks for a proper ending (hang up, wait a bounded time
// for the hangup to reach the homeserver, print the summary); a second one quits at once with status 130.
// The handler only writes to a self-pipe (async-signal-safe); a watcher thread turns that into `on_first`.
#pragma once

#include <functional>
#include <thread>

namespace mxcall::tools {

class InterruptWatcher {
 public:
  // `on_first` runs once, on the watcher thread, with the signal number.
  explicit InterruptWatcher(std::function<void(int)> on_first);
  ~InterruptWatcher();  // restores the default handlers and stops the thread
  InterruptWatcher(const InterruptWatcher&) = delete;
  InterruptWatcher& operator=(const InterruptWatcher&) = delete;

 private:
  void watch();
  std::function<void(int)> on_first_;
  int read_fd_ = -1;
  std::thread thread_;
};

}  // namespace mxcall::tools
