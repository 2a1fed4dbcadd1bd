// Media features without signalling of their own. DTMF: digits the user sends go to the media engine as RFC 4733
// telephone-events, digits the peer sent come back from it and go to the application (rule 71: no Matrix event).
// Screen shares: the peer's m.screenshare stream ids (rule 64) go to the media engine with the description that
// carries them, and the media engine says when such a stream starts and ends.
#include <string>

#include "call.hpp"

namespace mxcall::protocol {

namespace {
// W3C webrtc-pc, insertDTMF(): a tone lasts 40..6000 ms and the gap between tones is at least 30 ms. We cap the gap
// too, so that one request cannot keep a sender busy for days.
constexpr std::uint32_t kMinToneMs = 40, kMaxToneMs = 6000, kMinGapMs = 30, kMaxGapMs = 6000;

bool is_dtmf_symbol(char c) {
  return (c >= '0' && c <= '9') || c == '*' || c == '#' || (c >= 'A' && c <= 'D') || (c >= 'a' && c <= 'd') || c == ',';
}
}  // namespace

std::optional<std::string> dtmf_problem(const action::SendDtmf& request) {
  if (request.digits.empty()) return "no digits to send";
  if (request.digits.size() > action::kMaxDtmfDigits) {
    return "at most " + std::to_string(action::kMaxDtmfDigits) + " DTMF digits per request";
  }
  for (char c : request.digits) {
    if (!is_dtmf_symbol(c)) {
      std::string shown = (c >= 0x20 && c < 0x7f) ? std::string(1, c) : "\\x" + std::to_string(+c);
      return "'" + shown + "' is not a DTMF digit: use 0-9 * # A-D, and ',' for a 2 s pause";
    }
  }
  if (request.duration_ms < kMinToneMs || request.duration_ms > kMaxToneMs) {
    return "a DTMF tone lasts " + std::to_string(kMinToneMs) + "-" + std::to_string(kMaxToneMs) + " ms";
  }
  if (request.gap_ms < kMinGapMs || request.gap_ms > kMaxGapMs) {
    return "the gap between DTMF tones is " + std::to_string(kMinGapMs) + "-" + std::to_string(kMaxGapMs) + " ms";
  }
  return std::nullopt;
}

namespace engine {

void Call::send_dtmf(const action::SendDtmf& request) {
  if (auto problem = dtmf_problem(request)) return refuse(*problem);
  if (state_ != CallState::connected) return refuse("DTMF needs a connected call: wait until the call connects");
  // Our hold stops our audio; a tone sent then would reach a peer we told we are not sending (rule 56).
  if (hold_.on_hold) return refuse("the call is on hold: resume it to send DTMF");
  std::string digits = request.digits;
  for (char& c : digits) {
    if (c >= 'a' && c <= 'd') c = static_cast<char>(c - 'a' + 'A');
  }
  media(media_op::SendDtmf{std::move(digits), request.duration_ms, request.gap_ms});
}

std::vector<std::string> Call::screenshare_streams(const std::optional<StreamMetadataMap>& metadata) {
  std::vector<std::string> ids;
  if (!metadata) return ids;
  for (const auto& [id, meta] : *metadata) {
    if (meta.purpose == kPurposeScreenshare && ids.size() < 4) ids.emplace_back(id);  // a peer shares one screen
  }
  return ids;
}

void Call::share_screen(bool on) {
  if (!can_renegotiate()) return refuse("screen sharing needs a connected call with a VoIP v1 peer (rule 51)");
  if (on == !screenshare_id_.empty()) return refuse(on ? "the screen is already shared" : "no screen is shared");
  screenshare_id_ = on ? stream_id() + "-screen" : std::string();
  renegotiate();
}

void Call::on_dtmf(const media_event::DtmfReceived& digit) {
  if (state_ != CallState::connected) return;  // the media engine only hears it once media flows
  host_.output(DtmfDigit{ref_, digit.digit, digit.duration_ms});
}

}  // namespace engine
}  // namespace mxcall::protocol
