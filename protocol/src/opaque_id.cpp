#include "opaque_id.hpp"

namespace mxcall::protocol {

bool is_opaque_id(std::string_view id) {
  if (id.empty() || id.size() > 255) return false;
  for (char c : id) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '.' || c == '_' ||
              c == '~' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool is_user_id(std::string_view id) {
  if (id.size() < 4 || id.size() > 255 || id.front() != '@') return false;
  auto colon = id.find(':');
  return colon != std::string_view::npos && colon > 1 && colon + 1 < id.size();
}

}  // namespace mxcall::protocol
