// Counts live heap bytes (as malloc sizes them) for the memory figures of the engine benchmark. Counting is off
// unless switched on, so that the throughput runs pay nothing for it.
#pragma once

#include <cstdint>

namespace mxcall::bench {
std::int64_t live_heap_bytes();
void count_heap(bool on);
}  // namespace mxcall::bench
