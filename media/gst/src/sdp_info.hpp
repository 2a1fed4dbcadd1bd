// What the session needs to know about an SDP before and after webrtcbin sees it: which m-lines carry audio and
// video, the payload types the peer uses for Opus and VP8, the directions, and the mids (candidates are keyed by
// them). Reading a remote SDP here first also turns garbage into a clear failure instead of a webrtcbin warning.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "mxcall/protocol/media_io.hpp"

namespace mxcall::media::gst {

struct MediaLine {
  std::string kind;  // "audio", "video", "application", ...
  std::string mid;
  bool rejected = false;  // port 0
  protocol::Direction direction = protocol::Direction::sendrecv;
  std::optional<int> opus_pt;       // audio only
  std::optional<int> vp8_pt;        // video only
  std::vector<std::string> codecs;  // encoding names as written, for error messages
};

struct SdpInfo {
  std::vector<MediaLine> lines;
  std::string ice_ufrag;  // of the first m-line (the BUNDLE transport), or the session's
  std::string ice_pwd;

  // The first usable (not rejected) line of that kind, by m-line index.
  std::optional<std::uint32_t> first(std::string_view kind) const;
  std::optional<std::uint32_t> index_of_mid(std::string_view mid) const;
};

// Parses any SDP; an error string when it is not SDP at all.
std::variant<SdpInfo, std::string> parse_sdp(const std::string& sdp);

// The SDP with every a=ice-ufrag / a=ice-pwd value replaced.
std::string with_ice_credentials(const std::string& sdp, const std::string& ufrag, const std::string& pwd);
// The SDP with every `a=inactive` (session or media level) written as `a=<replacement>`. For webrtcbin 1.22, which
// ends its receive pads for good on an inactive line (docs/media.md, pitfall 2).
std::string with_inactive_as(const std::string& sdp, std::string_view replacement);
// The value of the first `a=setup:` line (actpass, active, passive), if any.
std::optional<std::string> setup_of(const std::string& sdp);
// The SDP with every `a=setup:` value replaced by `role`.
std::string with_setup(const std::string& sdp, std::string_view role);
// The SDP with `a=candidate:` lines added at the end of the m-sections they belong to (by m-line index; candidates
// for a line the SDP does not have are left out), and `a=end-of-candidates` after them when `complete` (RFC 8840
// section 8.2). For a description that carries the candidates gathered before it went out (rule 30).
struct GatheredCandidate {
  std::uint32_t mline = 0;
  std::string candidate;  // "candidate:..." as webrtcbin gives it
};
std::string with_candidates(const std::string& sdp, const std::vector<GatheredCandidate>& candidates, bool complete);
// Fresh random credentials (RFC 8839: ufrag >= 4, pwd >= 22 ice-chars).
std::pair<std::string, std::string> new_ice_credentials();

// A remote SDP we can carry a call with: at least one audio line with Opus. An error line naming what is wrong
// otherwise ("no audio m-line", "the audio m-line offers only PCMU, G722 and no Opus", ...).
std::optional<std::string> check_remote_sdp(const SdpInfo& info);

}  // namespace mxcall::media::gst
