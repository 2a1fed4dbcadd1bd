// Outgoing room events, sent in order per room by worker threads, each with its transaction id fixed when it is
// queued (so every retry, however it comes about, is the same request to the server). Hangups and rejects jump ahead
// of queued candidate events: a peer that keeps ringing because the hangup sat behind 40 candidate sends in a
// rate-limited queue is a known failure (element-web#6583).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "mxcall/matrix/client.hpp"

namespace mxcall::matrix {

enum class SendPriority : unsigned char {
  urgent,  // hangup, reject: ahead of queued candidates (never ahead of other events, which may be their call's invite)
  normal,  // everything else, in order
  bulk,    // candidates: behind everything queued after them
};

// The default priority of an event type: m.call.hangup and m.call.reject (and their org.matrix.call.* names) are
// urgent, m.call.candidates is bulk, the rest normal.
SendPriority priority_for(std::string_view type);

struct OutgoingEvent {
  std::string room_id;
  std::string type;
  std::string content;  // JSON object text
  std::string txn_id;
  SendPriority priority = SendPriority::normal;
  std::chrono::steady_clock::time_point queued_at;
};

struct SendOutcome {
  OutgoingEvent event;
  Result<std::string> event_id;  // or the error after the client's retry budget ran out
};

struct SendQueueOptions {
  // Worker threads. Events of one room always go through the same worker, so their order holds; more workers let
  // different rooms' sends overlap.
  int lanes = 1;
  std::size_t max_queued = 100000;
};

class SendQueue {
 public:
  using Callback = std::function<void(const SendOutcome&)>;

  // `on_done` is called from a worker thread after each event was sent or given up on.
  explicit SendQueue(Client& client, Callback on_done = {}, SendQueueOptions options = {});
  ~SendQueue();
  SendQueue(const SendQueue&) = delete;
  SendQueue& operator=(const SendQueue&) = delete;

  // Queues one event; returns its transaction id, or nullopt when the queue is full or stopped.
  std::optional<std::string> push(std::string room_id, std::string type, std::string content_json,
                                  std::optional<SendPriority> priority = {});

  // While paused, events are queued but not sent (e.g. while the application knows it is offline).
  void pause();
  void resume();

  // True once nothing is queued or in flight; false if `timeout` passed first.
  bool wait_idle(std::chrono::milliseconds timeout);
  std::size_t pending() const;

  // Stops the workers. Queued events are dropped; an event in flight is abandoned at once when `abort_in_flight`,
  // else it finishes its retries first.
  void stop(bool abort_in_flight = true);

 private:
  struct Lane {
    std::deque<OutgoingEvent> queue;
    bool busy = false;
    std::thread worker;
  };
  void run(Lane& lane);
  static void insert(std::deque<OutgoingEvent>& queue, OutgoingEvent event);

  Client& client_;
  Callback on_done_;
  SendQueueOptions options_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  mutable std::mutex mutex_;
  std::condition_variable work_cv_;
  std::condition_variable idle_cv_;
  std::size_t pending_ = 0;
  bool stopping_ = false;
  bool paused_ = false;
  std::atomic<bool> abort_{false};
};

}  // namespace mxcall::matrix
