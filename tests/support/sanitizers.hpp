// Which sanitizer instruments this test program, for the few figures a sanitizer changes (memory above all: ASan's
// quarantine keeps freed memory resident, ThreadSanitizer keeps shadow for every byte touched). GCC says so with
// __SANITIZE_*__, clang with __has_feature.
#pragma once

#if defined(__has_feature)
#define MXCALL_HAS_FEATURE(feature) __has_feature(feature)
#else
#define MXCALL_HAS_FEATURE(feature) 0
#endif

namespace mxcall::testing {

#if defined(__SANITIZE_ADDRESS__) || MXCALL_HAS_FEATURE(address_sanitizer)
inline constexpr bool kUnderAddressSanitizer = true;
#else
inline constexpr bool kUnderAddressSanitizer = false;
#endif

#if defined(__SANITIZE_THREAD__) || MXCALL_HAS_FEATURE(thread_sanitizer)
inline constexpr bool kUnderThreadSanitizer = true;
#else
inline constexpr bool kUnderThreadSanitizer = false;
#endif

}  // namespace mxcall::testing
