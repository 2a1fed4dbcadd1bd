// Checks on untrusted JSON text made before any tree is built, and the clamps for numbers a server chooses.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace mxcall::matrix::detail {

// Whether arrays and objects in `text` nest deeper than `max_depth`. One pass, no allocation, no recursion: a tree
// built from a 200 KB reply nested 10^5 deep would overflow the stack when it is copied, dumped or destroyed.
bool nests_deeper_than(std::string_view text, std::size_t max_depth);

// A server-given count of milliseconds (a JSON number, possibly huge, negative or fractional) as a duration in
// [0, max]; negative values read as 0. Converting first and clamping after is undefined behaviour for 1e300.
std::chrono::milliseconds clamp_millis(double value, std::chrono::milliseconds max);

// Server text made fit for a one-line message: control characters (a newline could forge a log line, an escape
// sequence could rewrite the terminal) become spaces, and the text is cut at `max_bytes` (on a UTF-8 boundary).
std::string one_line(std::string_view text, std::size_t max_bytes = 300);

}  // namespace mxcall::matrix::detail
