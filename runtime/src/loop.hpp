// The runtime's loop: a GLib main context of its own, a FIFO of posted work, and timers. GStreamer needs a GLib loop
// anyway, so the runtime's work shares the one kind of loop the process already has.
//
// Work posted from any thread runs on the loop thread in the order it was posted (one queue, drained by one
// source made with the loop). The loop thread is whichever thread runs run()/run_until(); when no thread runs the loop,
// run_sync() takes the context and runs the work on the calling thread, so a Phone can be torn down after run()
// returned.
#pragma once

#include <glib.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <mutex>

#include "mxcall/phone.hpp"

namespace mxcall {

struct Runtime::Impl {
  Impl();
  ~Impl();
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  void post(std::function<void()> fn);
  void post_after(std::chrono::milliseconds delay, std::function<void()> fn);
  // Runs `fn` on the loop thread and returns when it has run: inline when the caller owns the context or nobody
  // does, else posted and waited for.
  void run_sync(const std::function<void()>& fn);

  void run();
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout);
  void quit();

  // The monotonic clock every router of this runtime reads (milliseconds).
  static std::int64_t now_ms();

  GMainContext* context() const { return context_; }

 private:
  struct PostSource;
  void drain();

  GMainContext* context_ = nullptr;
  GMainLoop* loop_ = nullptr;
  std::mutex mutex_;
  std::deque<std::function<void()>> queue_;
  GSource* post_source_ = nullptr;
  std::atomic<bool> work_pending_{false};
  std::atomic<bool> quit_requested_{false};
};

}  // namespace mxcall
