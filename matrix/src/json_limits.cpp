#include "json_limits.hpp"

#include <algorithm>

namespace mxcall::matrix::detail {

bool nests_deeper_than(std::string_view text, std::size_t max_depth) {
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"': in_string = true; break;
      case '[':
      case '{':
        if (++depth > max_depth) return true;
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      default: break;
    }
  }
  return false;
}

std::chrono::milliseconds clamp_millis(double value, std::chrono::milliseconds max) {
  if (!(value > 0)) return std::chrono::milliseconds{0};  // negative, zero, and NaN
  if (value >= static_cast<double>(max.count())) return max;
  return std::chrono::milliseconds{static_cast<std::chrono::milliseconds::rep>(value)};
}

std::string one_line(std::string_view text, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto byte = static_cast<unsigned char>(text[i]);
    // C1 controls (U+0080..U+009F, UTF-8 C2 80..C2 9F) include CSI, which some terminals obey as ESC [.
    if (byte == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) <= 0x9F &&
        static_cast<unsigned char>(text[i + 1]) >= 0x80) {
      out += ' ';
      ++i;
      continue;
    }
    out += byte < 0x20 || byte == 0x7f ? ' ' : text[i];
  }
  if (out.size() > max_bytes) {
    std::size_t cut = max_bytes;
    // Never split a UTF-8 sequence: back up over continuation bytes (10xxxxxx).
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
    out += "...";
  }
  return out;
}

}  // namespace mxcall::matrix::detail
