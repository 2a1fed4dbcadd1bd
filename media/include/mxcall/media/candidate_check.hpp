// Which remote ICE candidates may reach the ICE agent. A peer chooses every byte of its candidates: without these
// checks a crafted candidate makes the agent send STUN requests to a multicast group or the broadcast address (an
// amplifier aimed at the local network), or names an m-line the remote description does not have. Pure parsing,
// no GStreamer, so the candidate fuzzer drives it directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mxcall::media {

struct CandidateLimits {
  // Remote candidates accepted per session; one peer gathering on many interfaces with TURN sends a few dozen.
  std::size_t max_per_session = 200;
  // One candidate line; real ones are under 250 bytes (RFC 8839 section 5.1 with the common extensions).
  std::size_t max_line_bytes = 1024;
};

// Where the candidate is meant to go, as the peer named it.
struct CandidateTarget {
  std::optional<std::uint32_t> mline_index;
  std::optional<std::string_view> mid;
};

// What the remote description says: how many m-lines, and (to resolve a mid) a lookup. `mline_count` 0 means no
// remote description is known yet: any m-line index is out of range then.
struct RemoteMedia {
  std::size_t mline_count = 0;
  std::optional<std::uint32_t> (*index_of_mid)(const void* context, std::string_view mid) = nullptr;
  const void* context = nullptr;
};

// A RemoteMedia over a list of mids, one per m-line in order (`mids` must outlive it).
RemoteMedia remote_media_of(const std::vector<std::string>& mids);

struct CandidateVerdict {
  bool accepted = false;
  std::uint32_t mline = 0;  // the m-line to hand it to, when accepted
  std::string why;          // when dropped: one line naming the rule the candidate broke
};

// `candidate` is the line as carried in m.call.candidates ("candidate:..." or "a=candidate:..."). Checks the
// grammar of RFC 8839 section 5.1 as far as the agent relies on it (component 1..256, udp/tcp, a port), and drops a
// connection address that is multicast, broadcast or unspecified (IPv4, IPv6 and IPv4-mapped IPv6), and a target
// m-line (index or mid) the remote description does not have. Host names (mDNS .local names) pass: the agent
// resolves or ignores them itself. `accepted_so_far` is this session's count, checked against the per-session cap.
CandidateVerdict check_remote_candidate(std::string_view candidate, const CandidateTarget& target,
                                        const RemoteMedia& remote, std::size_t accepted_so_far,
                                        const CandidateLimits& limits = {});

// Whether a numeric address (IPv4 dotted quad or IPv6, brackets allowed) must never be a candidate's destination;
// the reason, or nullopt for an address the agent may check. Host names are not numeric: nullopt.
std::optional<std::string> unroutable_address(std::string_view address);

}  // namespace mxcall::media
