// Text output stays one line per item whatever a hostile peer or event put in a name: control bytes (a newline, an
// escape sequence that would rewrite the terminal) are shown escaped as \xNN.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace mxcall::tools {

inline std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace mxcall::tools
