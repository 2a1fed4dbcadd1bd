// Fuzzes the media layer's remote-candidate checks (media/include/mxcall/media/candidate_check.hpp) the way a peer
// can reach them: the input is an SDP (its m-lines and mids stand for the remote description), a blank line, then
// candidate lines, each optionally prefixed "<m-line index>|" or "mid=<mid>|". What is accepted must be safe to hand
// to the ICE agent: an m-line inside the description, a numeric address that is not multicast, broadcast or
// unspecified, no control character, and never more than the per-session cap.
#include <arpa/inet.h>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "mxcall/media/candidate_check.hpp"

namespace {

using namespace mxcall::media;

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

// The fifth field of an accepted line, checked independently of the code under test.
void check_address(std::string_view line) {
  if (line.starts_with("a=")) line.remove_prefix(2);
  line.remove_prefix(10);  // "candidate:"
  for (int field = 0; field < 4; ++field) {
    line.remove_prefix(line.find_first_not_of(' '));
    line.remove_prefix(line.find(' '));
  }
  line.remove_prefix(line.find_first_not_of(' '));
  std::string address(line.substr(0, line.find(' ')));
  in_addr v4{};
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1) {
    std::uint32_t a = ntohl(v4.s_addr);
    if ((a >> 28) == 0xE || a == 0xFFFFFFFFu || (a >> 24) == 0) std::abort();
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, address.c_str(), &v6) == 1 && v6.s6_addr[0] == 0xFF) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto split = input.find("\n\n");
  std::string_view sdp = input.substr(0, split);
  std::string_view candidates = split == std::string_view::npos ? std::string_view{} : input.substr(split + 2);

  std::vector<std::string> mids;
  for (auto line : lines_of(sdp)) {
    if (line.starts_with("m=")) mids.emplace_back();
    if (line.starts_with("a=mid:") && !mids.empty()) mids.back() = std::string(line.substr(6));
  }
  RemoteMedia remote = remote_media_of(mids);

  CandidateLimits limits;
  limits.max_per_session = 8;
  std::size_t accepted = 0;
  for (auto line : lines_of(candidates)) {
    CandidateTarget target;
    std::string mid_storage;
    if (auto bar = line.find('|'); bar != std::string_view::npos) {
      std::string_view prefix = line.substr(0, bar);
      line.remove_prefix(bar + 1);
      std::uint32_t index = 0;
      if (prefix.starts_with("mid=")) {
        mid_storage = std::string(prefix.substr(4));
        target.mid = mid_storage;
      } else if (std::from_chars(prefix.data(), prefix.data() + prefix.size(), index).ec == std::errc{}) {
        target.mline_index = index;
      }
    }
    auto verdict = check_remote_candidate(line, target, remote, accepted, limits);
    if (!verdict.accepted) {
      if (verdict.why.empty()) std::abort();  // every drop says why
      continue;
    }
    ++accepted;
    if (accepted > limits.max_per_session) std::abort();
    if (verdict.mline >= remote.mline_count) std::abort();
    if (line.size() > limits.max_line_bytes) std::abort();
    for (char c : line) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) std::abort();
    }
    check_address(line);
    (void)unroutable_address(line);  // any text, as the address parser sees it
  }
  return 0;
}
