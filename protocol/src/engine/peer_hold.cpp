#include "peer_hold.hpp"

namespace mxcall::protocol {

namespace {

enum class Dir : unsigned char { unset, sendrecv, sendonly, recvonly, inactive };

Dir direction_attribute(std::string_view line) {
  if (line == "a=sendrecv") return Dir::sendrecv;
  if (line == "a=sendonly") return Dir::sendonly;
  if (line == "a=recvonly") return Dir::recvonly;
  if (line == "a=inactive") return Dir::inactive;
  return Dir::unset;
}

// "m=audio 9 UDP/TLS/RTP/SAVPF 111": the port is the second field; 0 means the section is disabled.
bool section_disabled(std::string_view line) {
  auto space = line.find(' ');
  if (space == std::string_view::npos) return true;
  std::string_view rest = line.substr(space + 1);
  return rest.starts_with("0 ") || rest == "0";
}

}  // namespace

bool offer_holds(std::string_view sdp) {
  Dir session_dir = Dir::sendrecv;  // a direction before the first m= line applies to every section without its own
  bool in_media = false, disabled = false;
  Dir section_dir = Dir::unset;
  int active_sections = 0, held_sections = 0;
  auto close_section = [&] {
    if (!in_media || disabled) return;
    ++active_sections;
    Dir dir = section_dir == Dir::unset ? session_dir : section_dir;
    if (dir == Dir::sendonly || dir == Dir::inactive) ++held_sections;
  };
  while (!sdp.empty()) {
    auto end = sdp.find('\n');
    std::string_view line = sdp.substr(0, end);
    sdp = end == std::string_view::npos ? std::string_view() : sdp.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.starts_with("m=")) {
      close_section();
      in_media = true;
      disabled = section_disabled(line);
      section_dir = Dir::unset;
    } else if (Dir dir = direction_attribute(line); dir != Dir::unset) {
      if (in_media) {
        section_dir = dir;
      } else {
        session_dir = dir;
      }
    }
  }
  close_section();
  return active_sections > 0 && held_sections == active_sections;
}

}  // namespace mxcall::protocol
