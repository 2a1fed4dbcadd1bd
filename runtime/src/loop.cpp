#include "loop.hpp"

#include <future>
#include <memory>

namespace mxcall {

namespace {

using Work = std::function<void()>;

gboolean run_once(gpointer data) {
  (*static_cast<Work*>(data))();
  return G_SOURCE_REMOVE;
}

void delete_work(gpointer data) { delete static_cast<Work*>(data); }

// Holds the context for the calling thread; released on scope exit.
class ContextOwner {
 public:
  explicit ContextOwner(GMainContext* context) : context_(context), owned_(g_main_context_acquire(context) != FALSE) {}
  ~ContextOwner() {
    if (owned_) g_main_context_release(context_);
  }
  ContextOwner(const ContextOwner&) = delete;
  ContextOwner& operator=(const ContextOwner&) = delete;
  bool owned() const { return owned_; }

 private:
  GMainContext* context_;
  bool owned_;
};

}  // namespace

// The one source that drains the posted work. It is made once, here, on the constructing thread; post() then touches
// only our own mutex, an atomic flag and g_main_context_wakeup(), which writes to the context's eventfd and allocates
// nothing. Attaching a fresh GSource per post() (the first design) allocated inside GLib on the posting thread and
// freed it on the loop thread, with GLib's futex-based lock as the only order between them: ThreadSanitizer cannot
// see that lock and reported each hand-off as a race. Here every hand-off goes through std::mutex or std::atomic.
struct Runtime::Impl::PostSource {
  GSource base;
  Impl* impl;

  static gboolean prepare(GSource* source, gint* timeout) {
    *timeout = -1;
    return reinterpret_cast<PostSource*>(source)->impl->work_pending_.load(std::memory_order_acquire);
  }
  static gboolean check(GSource* source) {
    return reinterpret_cast<PostSource*>(source)->impl->work_pending_.load(std::memory_order_acquire);
  }
  static gboolean dispatch(GSource* source, GSourceFunc, gpointer) {
    reinterpret_cast<PostSource*>(source)->impl->drain();
    return G_SOURCE_CONTINUE;
  }
  static GSourceFuncs funcs;
};

GSourceFuncs Runtime::Impl::PostSource::funcs = {
    &PostSource::prepare, &PostSource::check, &PostSource::dispatch, nullptr, nullptr, nullptr};

Runtime::Impl::Impl() : context_(g_main_context_new()), loop_(g_main_loop_new(context_, FALSE)) {
  post_source_ = g_source_new(&PostSource::funcs, sizeof(PostSource));
  reinterpret_cast<PostSource*>(post_source_)->impl = this;
  g_source_set_priority(post_source_, G_PRIORITY_DEFAULT);
  g_source_attach(post_source_, context_);
}

Runtime::Impl::~Impl() {
  g_source_destroy(post_source_);
  g_source_unref(post_source_);
  g_main_loop_unref(loop_);
  g_main_context_unref(context_);
}

std::int64_t Runtime::Impl::now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void Runtime::Impl::post(std::function<void()> fn) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(fn));
    work_pending_.store(true, std::memory_order_release);
  }
  g_main_context_wakeup(context_);
}

void Runtime::Impl::drain() {
  // Only what is queued now: work posted while draining runs on the next round, after other sources had a turn.
  std::deque<std::function<void()>> batch;
  {
    std::lock_guard lock(mutex_);
    batch.swap(queue_);
    work_pending_.store(false, std::memory_order_relaxed);
  }
  for (auto& fn : batch) fn();
}

void Runtime::Impl::post_after(std::chrono::milliseconds delay, std::function<void()> fn) {
  // A timer source is made and attached by the loop thread only (see PostSource for why); from elsewhere the
  // attaching is posted first, so the delay counts from when the loop takes the request.
  if (!g_main_context_is_owner(context_)) {
    post([this, delay, fn = std::move(fn)]() mutable { post_after(delay, std::move(fn)); });
    return;
  }
  GSource* source = g_timeout_source_new(static_cast<guint>(std::max<std::int64_t>(0, delay.count())));
  g_source_set_callback(source, run_once, new Work(std::move(fn)), delete_work);
  g_source_attach(source, context_);
  g_source_unref(source);
}

void Runtime::Impl::run_sync(const std::function<void()>& fn) {
  {
    ContextOwner owner(context_);
    if (owner.owned()) {
      fn();
      return;
    }
  }
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> finished = done->get_future();
  post([&fn, done] {
    fn();
    done->set_value();
  });
  // The loop may stop before it reaches our work: then take the context and run the queue here.
  while (finished.wait_for(std::chrono::milliseconds{50}) != std::future_status::ready) {
    ContextOwner owner(context_);
    if (owner.owned()) drain();
  }
}

void Runtime::Impl::run() {
  if (quit_requested_.exchange(false)) return;  // quit() came before run(): honour it
  g_main_context_push_thread_default(context_);
  g_main_loop_run(loop_);
  g_main_context_pop_thread_default(context_);
  quit_requested_ = false;
}

bool Runtime::Impl::run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  ContextOwner owner(context_);
  if (!owner.owned()) return done();  // another thread runs the loop: nothing to drive from here
  g_main_context_push_thread_default(context_);
  // A tick bounds each blocking iteration, so the deadline and `done` are looked at even on a quiet loop.
  GSource* tick = g_timeout_source_new(20);
  g_source_set_callback(
      tick, [](gpointer) -> gboolean { return G_SOURCE_CONTINUE; }, nullptr, nullptr);
  g_source_attach(tick, context_);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool result = done();
  while (!result && !quit_requested_ && std::chrono::steady_clock::now() < deadline) {
    g_main_context_iteration(context_, TRUE);
    result = done();
  }
  g_source_destroy(tick);
  g_source_unref(tick);
  g_main_context_pop_thread_default(context_);
  quit_requested_ = false;
  return result;
}

void Runtime::Impl::quit() {
  quit_requested_ = true;
  g_main_loop_quit(loop_);
  g_main_context_wakeup(context_);
}

// --- the public face

Runtime::Runtime() : impl_(std::make_unique<Impl>()) {}
Runtime::~Runtime() = default;
void Runtime::run() { impl_->run(); }
bool Runtime::run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  return impl_->run_until(done, timeout);
}
void Runtime::quit() { impl_->quit(); }
void Runtime::post(std::function<void()> fn) { impl_->post(std::move(fn)); }
void Runtime::post_after(std::chrono::milliseconds delay, std::function<void()> fn) {
  impl_->post_after(delay, std::move(fn));
}

}  // namespace mxcall
