#include "js_peer.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <gtest/gtest.h>

namespace mxcall::interop {

std::string interop_dir() { return MXCALL_INTEROP_DIR; }
std::string node_binary() { return MXCALL_NODE; }

JsPeer::JsPeer(std::string name, std::string script) : name_(std::move(name)) {
  if (script.empty()) script = interop_dir() + "/peer.mjs";
  if (!std::filesystem::exists(interop_dir() + "/node_modules/matrix-js-sdk/package.json")) {
    ADD_FAILURE() << "tests/interop/node_modules is missing: run scripts/setup-node.sh (npm ci from the lock file)";
    return;
  }
  int in[2];
  int out[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe: " << std::strerror(errno);
    return;
  }
  pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0) {
    // The peer dies with the test program: no Node process outlives a crashed test.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::execl(node_binary().c_str(), "node", script.c_str(), static_cast<char*>(nullptr));
    std::fprintf(stderr, "exec %s: %s\n", node_binary().c_str(), std::strerror(errno));
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  to_child_ = in[1];
  from_child_ = out[0];
  if (pid_ < 0) {
    ADD_FAILURE() << "fork: " << std::strerror(errno);
    return;
  }
  reader_ = std::thread([this] { read_loop(); });
}

JsPeer::~JsPeer() {
  if (to_child_ >= 0) {
    // quit first, so the peer hangs up nothing abruptly and exits through process.exit() (js-sdk-peer note 10)
    static const char quit[] = "{\"cmd\":\"quit\"}\n";
    [[maybe_unused]] auto written = ::write(to_child_, quit, sizeof quit - 1);
    ::close(to_child_);
  }
  if (pid_ > 0) {
    int status = 0;
    for (int i = 0; i < 50; ++i) {  // 5 s for a clean exit, then kill
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      ::usleep(100'000);
    }
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
  }
  if (reader_.joinable()) reader_.join();
  if (from_child_ >= 0) ::close(from_child_);
}

void JsPeer::read_loop() {
  std::string buffer;
  char chunk[65536];
  for (;;) {
    ssize_t n = ::read(from_child_, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    buffer.append(chunk, static_cast<std::size_t>(n));
    std::size_t newline;
    while ((newline = buffer.find('\n')) != std::string::npos) {
      std::string line = buffer.substr(0, newline);
      buffer.erase(0, newline + 1);
      Json event = Json::parse(line, nullptr, false);
      if (event.is_discarded()) {
        std::fprintf(stderr, "[%s] not JSON on stdout: %.200s\n", name_.c_str(), line.c_str());
        continue;
      }
      if (std::getenv("MXCALL_INTEROP_TRACE")) std::fprintf(stderr, "[%s] %.300s\n", name_.c_str(), line.c_str());
      std::lock_guard lock(mutex_);
      events_.push_back(std::move(event));
      changed_.notify_all();
    }
  }
  std::lock_guard lock(mutex_);
  closed_ = true;
  changed_.notify_all();
}

std::optional<Json> JsPeer::command(Json command, std::chrono::milliseconds timeout) {
  int id;
  std::size_t from;
  {
    std::lock_guard lock(mutex_);
    id = ++next_id_;
    from = events_.size();
  }
  command["id"] = id;
  std::string line = command.dump() + "\n";
  if (to_child_ < 0 || ::write(to_child_, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    ADD_FAILURE() << name_ << ": cannot send " << command["cmd"] << " (the peer is gone)";
    return std::nullopt;
  }
  auto reply =
      wait_for([id](const Json& e) { return e.value("id", -1) == id && (e["ev"] == "done" || e["ev"] == "error"); },
               timeout, from);
  if (!reply) {
    ADD_FAILURE() << name_ << ": no reply to " << command["cmd"] << " within " << timeout.count() << " ms";
    return std::nullopt;
  }
  if ((*reply)["ev"] == "error") {
    ADD_FAILURE() << name_ << ": " << command["cmd"] << " failed: " << (*reply)["error"];
    return std::nullopt;
  }
  return reply;
}

bool JsPeer::login(const std::string& homeserver, const std::string& user, const std::string& password, int tone_hz,
                   const std::string& device_id, const Json& extra) {
  Json login = {
      {"cmd", "login"}, {"homeserver", homeserver}, {"user", user}, {"password", password}, {"tone_hz", tone_hz}};
  login.update(extra);
  if (!device_id.empty()) login["device_id"] = device_id;
  auto reply = command(login, 60s);  // the browser peer launches Chromium first
  if (!reply) return false;
  user_id_ = (*reply)["user_id"];
  device_id_ = (*reply)["device_id"];
  return true;
}

std::optional<Json> JsPeer::wait_for(const std::function<bool(const Json&)>& match, std::chrono::milliseconds timeout,
                                     std::size_t from) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(mutex_);
  for (std::size_t i = from;;) {
    for (; i < events_.size(); ++i) {
      if (match(events_[i])) return events_[i];
    }
    if (closed_) return std::nullopt;
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout && i == events_.size()) return std::nullopt;
  }
}

std::optional<Json> JsPeer::wait_event(const std::string& ev, const std::string& call_id,
                                       std::chrono::milliseconds timeout, std::size_t from) {
  return wait_for(
      [&](const Json& e) { return e.value("ev", "") == ev && (call_id.empty() || e.value("call_id", "") == call_id); },
      timeout, from);
}

bool JsPeer::reached(const std::string& call_id, const std::string& state, std::chrono::milliseconds timeout) {
  return wait_for([&](const Json& e) { return e["ev"] == "state" && e["call_id"] == call_id && e["state"] == state; },
                  timeout)
      .has_value();
}

bool JsPeer::has_event(const std::string& ev, const std::string& call_id, std::size_t from) const {
  std::lock_guard lock(mutex_);
  for (std::size_t i = from; i < events_.size(); ++i) {
    const auto& e = events_[i];
    if (e.value("ev", "") == ev && (call_id.empty() || e.value("call_id", "") == call_id)) return true;
  }
  return false;
}

std::size_t JsPeer::mark() const {
  std::lock_guard lock(mutex_);
  return events_.size();
}

std::vector<Json> JsPeer::events() const {
  std::lock_guard lock(mutex_);
  return events_;
}

std::optional<Json> JsPeer::report(const std::string& call_id) {
  return command({{"cmd", "report"}, {"call_id", call_id}});
}

bool JsPeer::hears(const std::string& call_id, double hz, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  double last = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = report(call_id);
    if (!r) return false;
    last = (*r)["audio"].value("freq", 0.0);
    if (std::abs(last - hz) <= hz * 0.02) return true;
    std::this_thread::sleep_for(200ms);
  }
  std::fprintf(stderr, "[%s] call %s: expected %.0f Hz, last heard %.0f Hz\n", name_.c_str(), call_id.c_str(), hz,
               last);
  return false;
}

std::optional<long> JsPeer::loud_frames_over(const std::string& call_id, std::chrono::milliseconds window) {
  auto before = report(call_id);
  std::this_thread::sleep_for(window);
  auto after = report(call_id);
  if (!before || !after) return std::nullopt;
  return (*after)["audio"].value("loud_frames", 0L) - (*before)["audio"].value("loud_frames", 0L);
}

}  // namespace mxcall::interop
