// Ctrl-C for the call commands (tools/mxcall/interrupts.hpp): the first signal asks for a proper ending, a second one
// quits at once with status 130. Each case runs in a forked child, so the signals and the exit never touch the test
// runner itself; the child reports through its exit status only.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "exit_codes.hpp"
#include "interrupts.hpp"

namespace mxcall::tools {
namespace {

using namespace std::chrono_literals;

constexpr int kFirstSeen = 10;    // the child saw the first signal and ended on its own
constexpr int kNothingSeen = 11;  // the child waited in vain for its watcher

// Runs `child` in a fork and returns its exit status, or -1 when it did not exit normally within 10 s.
template <typename Child>
int status_of(Child child) {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(child());
  for (int i = 0; i < 1000; ++i) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::this_thread::sleep_for(10ms);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return -1;
}

// Waits (bounded) for `flag`, as the call commands wait for their hangup to go out.
bool wait_for(const std::atomic<int>& flag) {
  for (int i = 0; i < 300 && flag.load() == 0; ++i) std::this_thread::sleep_for(10ms);
  return flag.load() != 0;
}

TEST(Interrupts, FirstSignalReachesTheCallbackWithItsNumber) {
  int status = status_of([] {
    std::atomic<int> seen{0};
    InterruptWatcher watcher([&](int signal) { seen = signal; });
    ::raise(SIGINT);
    if (!wait_for(seen)) return kNothingSeen;
    return seen.load() == SIGINT ? kFirstSeen : 1;
  });
  EXPECT_EQ(status, kFirstSeen);
}

TEST(Interrupts, SigtermIsTreatedLikeCtrlC) {
  int status = status_of([] {
    std::atomic<int> seen{0};
    InterruptWatcher watcher([&](int signal) { seen = signal; });
    ::raise(SIGTERM);
    if (!wait_for(seen)) return kNothingSeen;
    return seen.load() == SIGTERM ? kFirstSeen : 1;
  });
  EXPECT_EQ(status, kFirstSeen);
}

TEST(Interrupts, SecondSignalQuitsAtOnceWith130) {
  int status = status_of([] {
    std::atomic<int> seen{0};
    InterruptWatcher watcher([&](int signal) { seen = signal; });
    ::raise(SIGINT);
    if (!wait_for(seen)) return kNothingSeen;
    // The proper ending is under way (here: never finishes); the second Ctrl-C must not wait for it.
    ::raise(SIGINT);
    std::this_thread::sleep_for(3s);
    return kFirstSeen;  // reached only if the second signal did not end the process
  });
  EXPECT_EQ(status, kExitInterrupted);
}

TEST(Interrupts, DefaultHandlersAreBackOnceTheWatcherIsGone) {
  int status = status_of([] {
    {
      InterruptWatcher watcher([](int) {});
    }
    struct sigaction current {};
    ::sigaction(SIGINT, nullptr, &current);
    return current.sa_handler == SIG_DFL ? kFirstSeen : 1;
  });
  EXPECT_EQ(status, kFirstSeen);
}

}  // namespace
}  // namespace mxcall::tools
