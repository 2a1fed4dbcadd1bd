// GLib's locks made visible to ThreadSanitizer, for the TSan test programs that run GStreamer pipelines.
//
// Debian's GLib implements GMutex, GRecMutex, GRWLock and GCond with futexes in an uninstrumented library, so TSan
// sees no order between a GStreamer thread and ours: every hand-off through a GStreamer object lock, a pad's stream
// lock or a bus queue would be reported as a race on our own objects. GStreamer, its plugins and libnice call these
// functions through the PLT (objdump -R lists them as JUMP_SLOT relocations), so the definitions below, exported
// from the program (-rdynamic, cmake/sanitizers.cmake), take their place. Each one calls GLib's own implementation
// (dlsym RTLD_NEXT: the lock itself is unchanged, futexes and all) and tells TSan the order it creates: a release on
// the lock's address before unlocking or waiting, an acquire after locking or waking.
//
// This gives TSan the happens-before edges and nothing more. GLib's locks are not declared as mutexes, so TSan's
// lock-order checker does not see them: GStreamer's own lock discipline (state, object, pad and stream locks taken in
// the orders its design documents) is not ours to check, and declaring them gave dozens of lock-order reports inside
// GStreamer per call. Lock-order checks between std::mutexes of ours stay on. GLib binds its internal calls directly
// and keeps them invisible, which is right for its own objects (main contexts, thread pools, async queues): those
// hand-offs are GLib's, and tests/sanitizers/tsan.supp names the few that surface.
#include <dlfcn.h>
#include <glib.h>
#include <sanitizer/tsan_interface.h>

#include <cstdio>
#include <cstdlib>

namespace {

template <typename Function>
Function glib_function(const char* name) {
  void* found = dlsym(RTLD_NEXT, name);
  if (!found) {
    std::fprintf(stderr, "glib_locks_for_tsan: GLib has no %s\n", name);
    std::abort();
  }
  return reinterpret_cast<Function>(found);
}

// GLib's implementations, looked up once.
struct GlibLocks {
  using MutexFn = void (*)(GMutex*);
  using MutexTryFn = gboolean (*)(GMutex*);
  using RecMutexFn = void (*)(GRecMutex*);
  using RecMutexTryFn = gboolean (*)(GRecMutex*);
  using RwLockFn = void (*)(GRWLock*);
  using RwLockTryFn = gboolean (*)(GRWLock*);
  using CondWaitFn = void (*)(GCond*, GMutex*);
  using CondWaitUntilFn = gboolean (*)(GCond*, GMutex*, gint64);

  MutexFn mutex_lock = glib_function<MutexFn>("g_mutex_lock");
  MutexFn mutex_unlock = glib_function<MutexFn>("g_mutex_unlock");
  MutexTryFn mutex_trylock = glib_function<MutexTryFn>("g_mutex_trylock");
  RecMutexFn rec_mutex_lock = glib_function<RecMutexFn>("g_rec_mutex_lock");
  RecMutexFn rec_mutex_unlock = glib_function<RecMutexFn>("g_rec_mutex_unlock");
  RecMutexTryFn rec_mutex_trylock = glib_function<RecMutexTryFn>("g_rec_mutex_trylock");
  RwLockFn writer_lock = glib_function<RwLockFn>("g_rw_lock_writer_lock");
  RwLockFn writer_unlock = glib_function<RwLockFn>("g_rw_lock_writer_unlock");
  RwLockTryFn writer_trylock = glib_function<RwLockTryFn>("g_rw_lock_writer_trylock");
  RwLockFn reader_lock = glib_function<RwLockFn>("g_rw_lock_reader_lock");
  RwLockFn reader_unlock = glib_function<RwLockFn>("g_rw_lock_reader_unlock");
  RwLockTryFn reader_trylock = glib_function<RwLockTryFn>("g_rw_lock_reader_trylock");
  CondWaitFn cond_wait = glib_function<CondWaitFn>("g_cond_wait");
  CondWaitUntilFn cond_wait_until = glib_function<CondWaitUntilFn>("g_cond_wait_until");
};

const GlibLocks& glib() {
  static const GlibLocks locks;
  return locks;
}

// Locking: GLib's lock, then the acquire. Unlocking: the release, then GLib's unlock.
template <typename Lock, typename Fn>
void lock_then_acquire(Lock* lock, Fn glib_lock) {
  glib_lock(lock);
  __tsan_acquire(lock);
}
template <typename Lock, typename Fn>
void release_then_unlock(Lock* lock, Fn glib_unlock) {
  __tsan_release(lock);
  glib_unlock(lock);
}
template <typename Lock, typename TryFn>
gboolean acquired_if(Lock* lock, TryFn try_lock) {
  gboolean taken = try_lock(lock);
  if (taken) __tsan_acquire(lock);
  return taken;
}

}  // namespace

extern "C" {

void g_mutex_lock(GMutex* m) { lock_then_acquire(m, glib().mutex_lock); }
void g_mutex_unlock(GMutex* m) { release_then_unlock(m, glib().mutex_unlock); }
gboolean g_mutex_trylock(GMutex* m) { return acquired_if(m, glib().mutex_trylock); }

void g_rec_mutex_lock(GRecMutex* m) { lock_then_acquire(m, glib().rec_mutex_lock); }
void g_rec_mutex_unlock(GRecMutex* m) { release_then_unlock(m, glib().rec_mutex_unlock); }
gboolean g_rec_mutex_trylock(GRecMutex* m) { return acquired_if(m, glib().rec_mutex_trylock); }

// Readers release too: a writer after them must see what they did before unlocking (reference counts, caches).
void g_rw_lock_writer_lock(GRWLock* l) { lock_then_acquire(l, glib().writer_lock); }
void g_rw_lock_writer_unlock(GRWLock* l) { release_then_unlock(l, glib().writer_unlock); }
gboolean g_rw_lock_writer_trylock(GRWLock* l) { return acquired_if(l, glib().writer_trylock); }
void g_rw_lock_reader_lock(GRWLock* l) { lock_then_acquire(l, glib().reader_lock); }
void g_rw_lock_reader_unlock(GRWLock* l) { release_then_unlock(l, glib().reader_unlock); }
gboolean g_rw_lock_reader_trylock(GRWLock* l) { return acquired_if(l, glib().reader_trylock); }

// Waiting unlocks the mutex and locks it again before returning.
void g_cond_wait(GCond* c, GMutex* m) {
  __tsan_release(m);
  glib().cond_wait(c, m);
  __tsan_acquire(m);
}
gboolean g_cond_wait_until(GCond* c, GMutex* m, gint64 end_time) {
  __tsan_release(m);
  gboolean signalled = glib().cond_wait_until(c, m, end_time);
  __tsan_acquire(m);
  return signalled;
}

}  // extern "C"
