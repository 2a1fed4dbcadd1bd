// Replaces the global operator new/delete of the benchmark program to count live heap bytes. Kept in its own file so
// that no call site sees these bodies. The benchmark is single-threaded while counting.
#include "counting_allocator.hpp"

#include <malloc.h>

#include <cstdlib>
#include <new>

namespace {
bool g_counting = false;
std::int64_t g_live_bytes = 0;
}  // namespace

namespace mxcall::bench {
std::int64_t live_heap_bytes() { return g_live_bytes; }
void count_heap(bool on) { g_counting = on; }
}  // namespace mxcall::bench

void* operator new(std::size_t size) {
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  if (g_counting) g_live_bytes += static_cast<std::int64_t>(malloc_usable_size(p));
  return p;
}

void operator delete(void* p) noexcept {
  if (p == nullptr) return;
  if (g_counting) g_live_bytes -= static_cast<std::int64_t>(malloc_usable_size(p));
  std::free(p);
}

void operator delete(void* p, std::size_t) noexcept { operator delete(p); }
