#include "mxcall/media/dtmf.hpp"

#include <algorithm>
#include <charconv>

namespace mxcall::media {
namespace {
constexpr std::string_view kDigits = "0123456789*#ABCD";
// RFC 4733 section 2.3: the end bit, then a reserved bit, then the volume.
constexpr std::uint8_t kEndBit = 0x80;

std::string_view trim_cr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// The line range [begin, end) of the first audio m-line's section, by offsets into sdp.
struct Section {
  std::size_t m_line = std::string_view::npos;  // offset of "m=audio"
  std::size_t m_line_end = 0;                   // offset of its line break
  std::size_t end = 0;                          // offset of the next "m=" line, or sdp.size()
};

Section first_audio_section(std::string_view sdp) {
  Section s;
  std::size_t pos = 0;
  while (pos < sdp.size()) {
    std::size_t eol = sdp.find('\n', pos);
    if (eol == std::string_view::npos) eol = sdp.size();
    std::string_view line = sdp.substr(pos, eol - pos);
    if (line.starts_with("m=")) {
      if (s.m_line != std::string_view::npos) {
        s.end = pos;
        return s;
      }
      if (line.starts_with("m=audio ")) {
        s.m_line = pos;
        s.m_line_end = eol;
      }
    }
    pos = eol + 1;
  }
  s.end = sdp.size();
  return s;
}

template <typename Fn>
void for_each_line(std::string_view text, Fn fn) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    fn(trim_cr(text.substr(pos, eol - pos)));
    pos = eol + 1;
  }
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return (x | 0x20) == (y | 0x20); });
}
}  // namespace

std::optional<std::uint8_t> dtmf_event_code(char digit) {
  auto at = kDigits.find(digit);
  if (at == std::string_view::npos) return std::nullopt;
  return static_cast<std::uint8_t>(at);
}

std::optional<char> dtmf_digit(std::uint8_t event_code) {
  if (event_code >= kDigits.size()) return std::nullopt;
  return kDigits[event_code];
}

std::optional<DtmfTone> DtmfReceiver::finish(const Open& open) const {
  auto digit = dtmf_digit(open.event);
  if (!digit || open.clock_rate == 0) return std::nullopt;
  std::uint64_t units = open.earlier_units + open.segment_units;
  return DtmfTone{*digit, static_cast<std::uint32_t>(units * 1000 / open.clock_rate)};
}

std::vector<DtmfTone> DtmfReceiver::on_packet(std::uint32_t ssrc, std::uint32_t timestamp,
                                              std::span<const std::uint8_t> payload, std::uint32_t clock_rate) {
  std::vector<DtmfTone> done;
  if (payload.size() < 4 || clock_rate == 0) return done;
  std::uint8_t event = payload[0];
  bool end = (payload[1] & kEndBit) != 0;
  std::uint32_t duration = static_cast<std::uint32_t>(payload[2]) << 8 | payload[3];
  // A repeated end, or a late packet of an event already reported (RTP timestamps only grow within a stream).
  if (reported_ && reported_->first == ssrc && static_cast<std::int32_t>(timestamp - reported_->second) <= 0) {
    return done;
  }

  if (open_ && (open_->ssrc != ssrc || open_->timestamp != timestamp)) {
    // A new segment of the same long event starts where the last one's full duration ends (section 2.5.1.3).
    bool next_segment = open_->ssrc == ssrc && open_->event == event &&
                        timestamp - open_->timestamp == open_->segment_units && open_->segment_units > 0;
    if (next_segment) {
      open_->earlier_units += open_->segment_units;
      open_->timestamp = timestamp;
      open_->segment_units = 0;
    } else {
      // A packet older than the open event (reordered) is dropped; a newer one means the open event's end was lost.
      if (open_->ssrc == ssrc && static_cast<std::int32_t>(timestamp - open_->timestamp) < 0) return done;
      if (auto tone = finish(*open_)) done.push_back(*tone);
      reported_ = {open_->ssrc, open_->timestamp};
      open_.reset();
    }
  }
  if (!open_) open_ = Open{ssrc, timestamp, 0, 0, clock_rate, event};
  open_->segment_units = std::max(open_->segment_units, duration);
  if (!end) return done;
  if (auto tone = finish(*open_)) done.push_back(*tone);
  reported_ = {open_->ssrc, open_->timestamp};
  open_.reset();
  return done;
}

std::optional<DtmfTone> DtmfReceiver::flush() {
  if (!open_) return std::nullopt;
  auto tone = finish(*open_);
  reported_ = {open_->ssrc, open_->timestamp};
  open_.reset();
  return tone;
}

std::vector<TelephoneEvent> telephone_events(std::string_view sdp) {
  std::vector<TelephoneEvent> out;
  Section s = first_audio_section(sdp);
  if (s.m_line == std::string_view::npos) return out;
  for_each_line(sdp.substr(s.m_line, s.end - s.m_line), [&](std::string_view line) {
    // a=rtpmap:<pt> telephone-event/<rate>
    if (!line.starts_with("a=rtpmap:")) return;
    line.remove_prefix(9);
    auto space = line.find(' ');
    if (space == std::string_view::npos) return;
    int pt = -1;
    auto [p, ec] = std::from_chars(line.data(), line.data() + space, pt);
    if (ec != std::errc{} || p != line.data() + space || pt < 0 || pt > 127) return;
    std::string_view encoding = line.substr(space + 1);
    auto slash = encoding.find('/');
    if (slash == std::string_view::npos || !iequals(encoding.substr(0, slash), "telephone-event")) return;
    std::string_view rate_text = encoding.substr(slash + 1);
    rate_text = rate_text.substr(0, rate_text.find('/'));
    std::uint32_t rate = 0;
    auto [q, ec2] = std::from_chars(rate_text.data(), rate_text.data() + rate_text.size(), rate);
    if (ec2 != std::errc{} || q != rate_text.data() + rate_text.size() || rate == 0 || rate > 192000) return;
    if (out.size() < 8) out.push_back({pt, rate});  // a hostile SDP may list hundreds
  });
  return out;
}

std::optional<std::string> with_telephone_event(std::string_view sdp, const TelephoneEvent& wanted) {
  Section s = first_audio_section(sdp);
  if (s.m_line == std::string_view::npos) return std::nullopt;
  for (const auto& te : telephone_events(sdp)) {
    if (te.payload_type == wanted.payload_type) return std::nullopt;
  }
  std::string_view eol = s.m_line_end > 0 && sdp[s.m_line_end - 1] == '\r' ? "\r\n" : "\n";
  std::size_t m_text_end = eol.size() == 2 ? s.m_line_end - 1 : s.m_line_end;
  std::string pt = std::to_string(wanted.payload_type);
  std::string out;
  out.reserve(sdp.size() + 80);
  out.append(sdp.substr(0, m_text_end));
  out.append(" ").append(pt);
  // The rtpmap and fmtp go at the end of the section, after the codecs' own attributes.
  out.append(sdp.substr(m_text_end, s.end - m_text_end));
  if (!out.empty() && out.back() != '\n') out.append(eol);
  out.append("a=rtpmap:").append(pt).append(" telephone-event/").append(std::to_string(wanted.clock_rate));
  out.append(eol);
  out.append("a=fmtp:").append(pt).append(" 0-15").append(eol);
  out.append(sdp.substr(s.end));
  return out;
}

std::optional<TelephoneEvent> preferred_telephone_event(const std::vector<TelephoneEvent>& offered) {
  for (const auto& te : offered) {
    if (te.clock_rate == 8000) return te;
  }
  if (offered.empty()) return std::nullopt;
  return offered.front();
}

}  // namespace mxcall::media
