#include "interrupts.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>

#include "exit_codes.hpp"

namespace mxcall::tools {
namespace {

int g_write_fd = -1;
volatile std::sig_atomic_t g_signals = 0;

void on_signal(int signal) {
  g_signals = g_signals + 1;
  if (g_signals >= 2) ::_exit(kExitInterrupted);
  unsigned char byte = static_cast<unsigned char>(signal);
  [[maybe_unused]] ssize_t n = ::write(g_write_fd, &byte, 1);
}

void set_handler(void (*handler)(int)) {
  struct sigaction action {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
}

}  // namespace

InterruptWatcher::InterruptWatcher(std::function<void(int)> on_first) : on_first_(std::move(on_first)) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return;  // no pipe: Ctrl-C keeps its default (the process ends at once)
  read_fd_ = fds[0];
  g_write_fd = fds[1];
  g_signals = 0;
  set_handler(on_signal);
  thread_ = std::thread([this] { watch(); });
}

InterruptWatcher::~InterruptWatcher() {
  if (read_fd_ < 0) return;
  set_handler(SIG_DFL);
  unsigned char stop = 0;  // signal numbers are never 0: this one stops the watcher
  [[maybe_unused]] ssize_t n = ::write(g_write_fd, &stop, 1);
  thread_.join();
  ::close(g_write_fd);
  ::close(read_fd_);
  g_write_fd = -1;
}

void InterruptWatcher::watch() {
  bool fired = false;
  for (;;) {
    unsigned char byte = 0;
    ssize_t n = ::read(read_fd_, &byte, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || byte == 0) return;
    if (!fired) {
      fired = true;
      on_first_(byte);
    }
  }
}

}  // namespace mxcall::tools
