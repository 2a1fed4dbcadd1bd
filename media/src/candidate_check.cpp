#include "mxcall/media/candidate_check.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <vector>

namespace mxcall::media {
namespace {

std::vector<std::string_view> fields_of(std::string_view line) {
  std::vector<std::string_view> fields;
  while (!line.empty()) {
    auto start = line.find_first_not_of(' ');
    if (start == std::string_view::npos) break;
    line.remove_prefix(start);
    auto end = line.find(' ');
    fields.push_back(line.substr(0, end));
    if (end == std::string_view::npos) break;
    line.remove_prefix(end);
  }
  return fields;
}

std::optional<std::uint64_t> number(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    if (x != b[i]) return false;
  }
  return true;
}

std::optional<std::string> unroutable_v4(std::uint32_t host_order) {
  if ((host_order >> 24) == 0) return "an unspecified (0.0.0.0/8) address";
  if ((host_order >> 28) == 0xE) return "a multicast (224.0.0.0/4) address";
  if (host_order == 0xFFFFFFFFu) return "the broadcast address";
  return std::nullopt;
}

}  // namespace

std::optional<std::string> unroutable_address(std::string_view address) {
  if (address.size() >= 2 && address.front() == '[' && address.back() == ']') {
    address = address.substr(1, address.size() - 2);
  }
  if (address.empty() || address.size() > 64) return std::nullopt;
  std::string text(address);
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) return unroutable_v4(ntohl(v4.s_addr));
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) != 1) return std::nullopt;  // a host name
  const unsigned char* b = v6.s6_addr;
  if (b[0] == 0xFF) return "a multicast (ff00::/8) address";
  bool zero_prefix = true;
  for (int i = 0; i < 10; ++i) zero_prefix &= b[i] == 0;
  if (zero_prefix && b[10] == 0xFF && b[11] == 0xFF) {  // ::ffff:a.b.c.d reaches the IPv4 address
    auto mapped = (std::uint32_t{b[12]} << 24) | (std::uint32_t{b[13]} << 16) | (std::uint32_t{b[14]} << 8) | b[15];
    if (auto why = unroutable_v4(mapped)) return *why + " (IPv4-mapped)";
    return std::nullopt;
  }
  bool all_zero = zero_prefix && b[10] == 0 && b[11] == 0 && b[12] == 0 && b[13] == 0 && b[14] == 0 && b[15] == 0;
  if (all_zero) return "the unspecified (::) address";
  return std::nullopt;
}

RemoteMedia remote_media_of(const std::vector<std::string>& mids) {
  RemoteMedia remote;
  remote.mline_count = mids.size();
  remote.context = &mids;
  remote.index_of_mid = [](const void* context, std::string_view mid) -> std::optional<std::uint32_t> {
    const auto& all = *static_cast<const std::vector<std::string>*>(context);
    for (std::uint32_t i = 0; i < all.size(); ++i) {
      if (all[i] == mid) return i;
    }
    return std::nullopt;
  };
  return remote;
}

CandidateVerdict check_remote_candidate(std::string_view candidate, const CandidateTarget& target,
                                        const RemoteMedia& remote, std::size_t accepted_so_far,
                                        const CandidateLimits& limits) {
  CandidateVerdict verdict;
  auto drop = [&](std::string why) {
    verdict.why = std::move(why);
    return verdict;
  };
  if (accepted_so_far >= limits.max_per_session) {
    return drop("the call already has " + std::to_string(limits.max_per_session) +
                " remote candidates (CandidateLimits::max_per_session)");
  }
  if (candidate.size() > limits.max_line_bytes) {
    return drop("the candidate is longer than " + std::to_string(limits.max_line_bytes) + " bytes");
  }
  if (candidate.starts_with("a=")) candidate.remove_prefix(2);
  for (char c : candidate) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return drop("the candidate holds a control character");
  }
  if (!candidate.starts_with("candidate:")) return drop("not a candidate line (no 'candidate:' prefix)");
  auto fields = fields_of(candidate.substr(10));
  // foundation component transport priority address port "typ" type ...
  if (fields.size() < 8 || fields[6] != "typ") return drop("the candidate does not follow RFC 8839's grammar");
  auto component = number(fields[1]);
  if (!component || *component < 1 || *component > 256) return drop("the candidate's component id is not 1..256");
  if (!iequals(fields[2], "udp") && !iequals(fields[2], "tcp"))
    return drop("the candidate's transport is not UDP or TCP");
  if (!number(fields[3]) || *number(fields[3]) > 0xFFFFFFFFu)
    return drop("the candidate's priority is not a 32-bit number");
  auto port = number(fields[5]);
  if (!port || *port > 65535) return drop("the candidate's port is not 0..65535");
  if (*port == 0 && !iequals(fields[2], "tcp")) return drop("the candidate's port is 0");
  if (auto why = unroutable_address(fields[4])) return drop("the candidate's address is " + *why);

  if (target.mline_index) {
    if (*target.mline_index >= remote.mline_count) {
      return drop("the candidate names m-line " + std::to_string(*target.mline_index) +
                  " and the remote description has " + std::to_string(remote.mline_count));
    }
    verdict.mline = *target.mline_index;
  } else if (target.mid) {
    auto index = remote.index_of_mid != nullptr ? remote.index_of_mid(remote.context, *target.mid) : std::nullopt;
    if (!index || *index >= remote.mline_count) return drop("the candidate names a mid the remote description lacks");
    verdict.mline = *index;
  } else if (remote.mline_count == 0) {
    return drop("the candidate came before any remote description");
  }
  verdict.accepted = true;
  return verdict;
}

}  // namespace mxcall::media
