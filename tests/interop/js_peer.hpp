// A matrix-js-sdk party in its own Node process (tests/interop/peer.mjs), driven over its line-JSON protocol: a
// command a line on its stdin, an event a line on its stdout. Every event is kept, so a test can wait for one that
// already arrived. The process ends when the JsPeer is destroyed (stdin closed, then SIGKILL if it lingers).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace mxcall::interop {

using Json = nlohmann::json;
using namespace std::chrono_literals;

// Where the harness lives: tests/interop (peer.mjs, node_modules) and the node binary. Set by CMake.
std::string interop_dir();
std::string node_binary();

class JsPeer {
 public:
  // Starts the process; `name` prefixes its diagnostics. `script` is peer.mjs unless a test needs another peer
  // (the browser peer). Fails the calling test (and leaves the peer dead) when Node cannot start.
  explicit JsPeer(std::string name, std::string script = {});
  ~JsPeer();
  JsPeer(const JsPeer&) = delete;
  JsPeer& operator=(const JsPeer&) = delete;

  // Sends a command and waits for its reply: the "done" event, or nullopt on an "error" reply or a timeout (both
  // recorded as a test failure naming the command and the error).
  std::optional<Json> command(Json command, std::chrono::milliseconds timeout = 20s);
  // Logs in and waits for the first sync: the party can ring from then on (js-sdk-peer note 1).
  bool login(const std::string& homeserver, const std::string& user, const std::string& password, int tone_hz,
             const std::string& device_id = {}, const Json& extra = Json::object());

  // The first event at or after index `from` for which `match` holds, waiting up to `timeout`.
  std::optional<Json> wait_for(const std::function<bool(const Json&)>& match, std::chrono::milliseconds timeout,
                               std::size_t from = 0);
  // Shorthand: an event named `ev` about `call_id` (any call when empty).
  std::optional<Json> wait_event(const std::string& ev, const std::string& call_id, std::chrono::milliseconds timeout,
                                 std::size_t from = 0);
  // Waits until the call's js-sdk state is `state` (connected, ended, ...).
  bool reached(const std::string& call_id, const std::string& state, std::chrono::milliseconds timeout = 15s);
  // Whether such an event arrived (no waiting).
  bool has_event(const std::string& ev, const std::string& call_id, std::size_t from = 0) const;
  std::size_t mark() const;  // the index the next event will have
  std::vector<Json> events() const;

  // The call's report: {"state", "audio": {frames, loud_frames, rms, freq}, "video": {frames, ...}, holds}.
  std::optional<Json> report(const std::string& call_id);
  // Waits until the audio received in `call_id` has `hz` (within 2%) as its dominant frequency.
  bool hears(const std::string& call_id, double hz, std::chrono::milliseconds timeout = 10s);
  // Counts the loud received audio frames (10 ms each) over `window`: near 0 while held, ~window/10ms when flowing.
  std::optional<long> loud_frames_over(const std::string& call_id, std::chrono::milliseconds window);

  const std::string& name() const { return name_; }
  const std::string& user_id() const { return user_id_; }
  const std::string& device_id() const { return device_id_; }

 private:
  void read_loop();
  std::string name_;
  pid_t pid_ = -1;
  int to_child_ = -1;
  int from_child_ = -1;
  std::thread reader_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Json> events_;
  bool closed_ = false;
  int next_id_ = 0;
  std::string user_id_;
  std::string device_id_;
};

}  // namespace mxcall::interop
