#include "mxcall/matrix/send_queue.hpp"

#include <functional>

namespace mxcall::matrix {

SendPriority priority_for(std::string_view type) {
  if (type == "m.call.hangup" || type == "m.call.reject" || type == "org.matrix.call.hangup" ||
      type == "org.matrix.call.reject") {
    return SendPriority::urgent;
  }
  if (type == "m.call.candidates" || type == "org.matrix.call.candidates") return SendPriority::bulk;
  return SendPriority::normal;
}

SendQueue::SendQueue(Client& client, Callback on_done, SendQueueOptions options)
    : client_(client), on_done_(std::move(on_done)), options_(options) {
  int lanes = options_.lanes < 1 ? 1 : options_.lanes;
  for (int i = 0; i < lanes; ++i) lanes_.push_back(std::make_unique<Lane>());
  for (auto& lane : lanes_) lane->worker = std::thread([this, raw = lane.get()] { run(*raw); });
}

SendQueue::~SendQueue() { stop(true); }

void SendQueue::insert(std::deque<OutgoingEvent>& queue, OutgoingEvent event) {
  if (event.priority != SendPriority::urgent) {
    queue.push_back(std::move(event));
    return;
  }
  // Step back over the trailing run of candidate events only: an urgent event never passes a normal or urgent one,
  // so a hangup can never overtake the invite of its own call.
  auto pos = queue.end();
  while (pos != queue.begin() && std::prev(pos)->priority == SendPriority::bulk) --pos;
  queue.insert(pos, std::move(event));
}

std::optional<std::string> SendQueue::push(std::string room_id, std::string type, std::string content_json,
                                           std::optional<SendPriority> priority) {
  OutgoingEvent event;
  event.priority = priority.value_or(priority_for(type));
  event.room_id = std::move(room_id);
  event.type = std::move(type);
  event.content = std::move(content_json);
  event.queued_at = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  if (stopping_ || pending_ >= options_.max_queued) return std::nullopt;
  event.txn_id = client_.next_txn_id();
  std::string txn = event.txn_id;
  auto& lane = *lanes_[std::hash<std::string>{}(event.room_id) % lanes_.size()];
  insert(lane.queue, std::move(event));
  ++pending_;
  work_cv_.notify_all();
  return txn;
}

void SendQueue::run(Lane& lane) {
  for (;;) {
    OutgoingEvent event;
    {
      std::unique_lock lock(mutex_);
      work_cv_.wait(lock, [&] { return stopping_ || (!paused_ && !lane.queue.empty()); });
      if (stopping_) return;
      event = std::move(lane.queue.front());
      lane.queue.pop_front();
      lane.busy = true;
    }
    auto result = client_.send_event(event.room_id, event.type, event.content, event.txn_id, &abort_);
    if (on_done_) on_done_(SendOutcome{std::move(event), std::move(result)});
    std::lock_guard lock(mutex_);
    lane.busy = false;
    --pending_;
    if (pending_ == 0) idle_cv_.notify_all();
  }
}

void SendQueue::pause() {
  std::lock_guard lock(mutex_);
  paused_ = true;
}

void SendQueue::resume() {
  std::lock_guard lock(mutex_);
  paused_ = false;
  work_cv_.notify_all();
}

bool SendQueue::wait_idle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return idle_cv_.wait_for(lock, timeout, [&] { return pending_ == 0; });
}

std::size_t SendQueue::pending() const {
  std::lock_guard lock(mutex_);
  return pending_;
}

void SendQueue::stop(bool abort_in_flight) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && lanes_.empty()) return;
    stopping_ = true;
    for (auto& lane : lanes_) {
      pending_ -= lane->queue.size();
      lane->queue.clear();
    }
    work_cv_.notify_all();
  }
  if (abort_in_flight) {
    abort_ = true;
    client_.wake();
  }
  for (auto& lane : lanes_) {
    if (lane->worker.joinable()) lane->worker.join();
  }
  std::lock_guard lock(mutex_);
  lanes_.clear();
  pending_ = 0;
  idle_cv_.notify_all();
}

}  // namespace mxcall::matrix
