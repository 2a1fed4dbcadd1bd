// Counts live heap bytes (as malloc sizes them) for the memory figures of the engine benchmark.
#pragma once

#include <cstdint>

namespace mxcall::bench {
std::int64_t live_heap_bytes();
}
