#include "sdp_info.hpp"

#include <gst/sdp/sdp.h>

#include <strings.h>
#include <cstdlib>
#include <memory>

namespace mxcall::media::gst {
namespace {

protocol::Direction direction_of(const GstSDPMedia* media, protocol::Direction session_default) {
  for (auto [name, dir] :
       {std::pair{"sendrecv", protocol::Direction::sendrecv}, std::pair{"sendonly", protocol::Direction::sendonly},
        std::pair{"recvonly", protocol::Direction::recvonly}, std::pair{"inactive", protocol::Direction::inactive}}) {
    if (gst_sdp_media_get_attribute_val(media, name) != nullptr) return dir;
  }
  return session_default;
}

// "111 opus/48000/2" -> (111, "opus")
std::optional<std::pair<int, std::string>> parse_rtpmap(const char* value) {
  char* end = nullptr;
  long pt = std::strtol(value, &end, 10);
  if (end == value || *end != ' ' || pt < 0 || pt > 127) return std::nullopt;
  std::string rest(end + 1);
  return std::pair{static_cast<int>(pt), rest.substr(0, rest.find('/'))};
}

}  // namespace

std::optional<std::uint32_t> SdpInfo::first(std::string_view kind) const {
  for (std::uint32_t i = 0; i < lines.size(); ++i) {
    if (lines[i].kind == kind && !lines[i].rejected) return i;
  }
  return std::nullopt;
}

std::optional<std::uint32_t> SdpInfo::index_of_mid(std::string_view mid) const {
  for (std::uint32_t i = 0; i < lines.size(); ++i) {
    if (lines[i].mid == mid) return i;
  }
  return std::nullopt;
}

std::variant<SdpInfo, std::string> parse_sdp(const std::string& sdp) {
  // GstSDP accepts almost anything and yields an empty message; require the grammar's first line ourselves.
  if (!sdp.starts_with("v=0")) return std::string("not an SDP (it does not start with v=0)");
  GstSDPMessage* raw = nullptr;
  gst_sdp_message_new(&raw);
  std::unique_ptr<GstSDPMessage, decltype(&gst_sdp_message_free)> msg(raw, &gst_sdp_message_free);
  if (gst_sdp_message_parse_buffer(reinterpret_cast<const guint8*>(sdp.data()), static_cast<guint>(sdp.size()),
                                   msg.get()) != GST_SDP_OK) {
    return std::string("the SDP could not be parsed");
  }
  protocol::Direction session_dir = protocol::Direction::sendrecv;
  for (auto [name, dir] :
       {std::pair{"sendonly", protocol::Direction::sendonly}, std::pair{"recvonly", protocol::Direction::recvonly},
        std::pair{"inactive", protocol::Direction::inactive}}) {
    if (gst_sdp_message_get_attribute_val(msg.get(), name) != nullptr) session_dir = dir;
  }
  SdpInfo info;
  if (const char* ufrag = gst_sdp_message_get_attribute_val(msg.get(), "ice-ufrag")) info.ice_ufrag = ufrag;
  if (const char* pwd = gst_sdp_message_get_attribute_val(msg.get(), "ice-pwd")) info.ice_pwd = pwd;
  if (gst_sdp_message_medias_len(msg.get()) > 0) {
    const GstSDPMedia* first = gst_sdp_message_get_media(msg.get(), 0);
    if (const char* ufrag = gst_sdp_media_get_attribute_val(first, "ice-ufrag")) info.ice_ufrag = ufrag;
    if (const char* pwd = gst_sdp_media_get_attribute_val(first, "ice-pwd")) info.ice_pwd = pwd;
  }
  for (guint i = 0; i < gst_sdp_message_medias_len(msg.get()); ++i) {
    const GstSDPMedia* media = gst_sdp_message_get_media(msg.get(), i);
    MediaLine line;
    line.kind = gst_sdp_media_get_media(media) ? gst_sdp_media_get_media(media) : "";
    const char* mid = gst_sdp_media_get_attribute_val(media, "mid");
    line.mid = mid ? mid : "";
    // Port 0 rejects a line, except under max-bundle where webrtcbin offers bundled lines as port 0 + bundle-only.
    line.rejected = gst_sdp_media_get_port(media) == 0 && !gst_sdp_media_get_attribute_val(media, "bundle-only");
    line.direction = direction_of(media, session_dir);
    for (guint a = 0; a < gst_sdp_media_attributes_len(media); ++a) {
      const GstSDPAttribute* attr = gst_sdp_media_get_attribute(media, a);
      if (g_strcmp0(attr->key, "rtpmap") != 0 || attr->value == nullptr) continue;
      auto map = parse_rtpmap(attr->value);
      if (!map) continue;
      line.codecs.push_back(map->second);
      // Payload types come from the peer's offer (browsers renumber freely); the first Opus/VP8 is its preference.
      if (line.kind == "audio" && !line.opus_pt && strcasecmp(map->second.c_str(), "opus") == 0) {
        line.opus_pt = map->first;
      }
      if (line.kind == "video" && !line.vp8_pt && strcasecmp(map->second.c_str(), "VP8") == 0) {
        line.vp8_pt = map->first;
      }
    }
    info.lines.push_back(std::move(line));
  }
  return info;
}

namespace {

// The SDP with each line (its line break included) passed through `rewrite`.
template <typename Rewrite>
std::string rewrite_lines(const std::string& sdp, Rewrite rewrite) {
  std::string out;
  std::size_t at = 0;
  while (at < sdp.size()) {
    std::size_t end = sdp.find('\n', at);
    std::string line = sdp.substr(at, end == std::string::npos ? std::string::npos : end + 1 - at);
    at = end == std::string::npos ? sdp.size() : end + 1;
    out += rewrite(std::move(line));
  }
  return out;
}

// The line break a line ends with ("\r\n", "\n" or none).
std::string_view line_break(const std::string& line) {
  return line.ends_with("\r\n") ? "\r\n" : line.ends_with("\n") ? "\n" : "";
}

}  // namespace

std::string with_ice_credentials(const std::string& sdp, const std::string& ufrag, const std::string& pwd) {
  return rewrite_lines(sdp, [&](std::string line) {
    if (line.starts_with("a=ice-ufrag:")) return "a=ice-ufrag:" + ufrag + "\r\n";
    if (line.starts_with("a=ice-pwd:")) return "a=ice-pwd:" + pwd + "\r\n";
    return line;
  });
}

std::string with_inactive_as(const std::string& sdp, std::string_view replacement) {
  return rewrite_lines(sdp, [&](std::string line) {
    if (line.size() - line_break(line).size() == 10 && line.starts_with("a=inactive")) {
      return "a=" + std::string(replacement) + std::string(line_break(line));
    }
    return line;
  });
}

std::optional<std::string> setup_of(const std::string& sdp) {
  std::size_t at = sdp.find("a=setup:");
  if (at == std::string::npos) return std::nullopt;
  at += 8;
  std::size_t end = sdp.find_first_of("\r\n", at);
  return sdp.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

std::string with_setup(const std::string& sdp, std::string_view role) {
  return rewrite_lines(sdp, [&](std::string line) {
    if (line.starts_with("a=setup:")) return "a=setup:" + std::string(role) + std::string(line_break(line));
    return line;
  });
}

std::string with_candidates(const std::string& sdp, const std::vector<GatheredCandidate>& candidates, bool complete) {
  if (candidates.empty()) return sdp;
  std::string out;
  std::string_view eol = "\r\n";
  std::optional<std::uint32_t> section;  // the m-section the lines so far belong to
  auto close_section = [&] {
    if (!section) return;
    bool any = false;
    for (const auto& c : candidates) {
      if (c.mline != *section) continue;
      out += "a=" + c.candidate + std::string(eol);
      any = true;
    }
    if (any && complete) out += "a=end-of-candidates" + std::string(eol);
  };
  std::uint32_t next_mline = 0;
  std::size_t at = 0;
  while (at < sdp.size()) {
    std::size_t end = sdp.find('\n', at);
    std::string line = sdp.substr(at, end == std::string::npos ? std::string::npos : end + 1 - at);
    at = end == std::string::npos ? sdp.size() : end + 1;
    if (line.starts_with("m=")) {
      close_section();
      section = next_mline++;
      if (!line_break(line).empty()) eol = line_break(line);
    }
    out += line;
  }
  if (!out.empty() && out.back() != '\n') out += eol;
  close_section();
  return out;
}

std::pair<std::string, std::string> new_ice_credentials() {
  static constexpr char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  auto make = [](int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += kChars[g_random_int_range(0, 64)];
    return s;
  };
  return {make(16), make(32)};
}

std::optional<std::string> check_remote_sdp(const SdpInfo& info) {
  if (info.lines.empty()) return "the SDP has no m-line";
  auto audio = info.first("audio");
  if (!audio) return "the SDP has no (enabled) audio m-line";
  const MediaLine& line = info.lines[*audio];
  if (!line.opus_pt) {
    std::string offered;
    for (const auto& c : line.codecs) offered += (offered.empty() ? "" : ", ") + c;
    return "the audio m-line has no Opus (it lists: " + (offered.empty() ? std::string("nothing") : offered) + ")";
  }
  return std::nullopt;
}

}  // namespace mxcall::media::gst
