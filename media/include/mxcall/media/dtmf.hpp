// DTMF in band (RFC 4733 telephone-event), the parts that need no GStreamer: the event codes, a receiver that turns
// the redundant packets of each event into one digit with its duration, and the SDP lines that negotiate
// telephone-event (webrtcbin 1.22 writes none of them).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mxcall::media {

// RFC 4733 section 3.2: events 0-9, * (10), # (11), A-D (12-15). Other events (flash, tones) are not digits.
std::optional<std::uint8_t> dtmf_event_code(char digit);
std::optional<char> dtmf_digit(std::uint8_t event_code);

struct DtmfTone {
  char digit = '0';
  std::uint32_t duration_ms = 0;
  bool operator==(const DtmfTone&) const = default;
};

// One receiving stream's telephone-events. A sender repeats each event's packet (same RTP timestamp, growing
// duration) and repeats the final one, end bit set, about three times; packets may be lost or reordered. A digit is
// reported once: when its first end packet arrives, or when the next event starts without one (the end was lost).
// Long events (RFC 4733 section 2.5.1.3: segments when the duration field would overflow) count as one digit.
class DtmfReceiver {
 public:
  // `payload` is the RTP payload of a telephone-event packet; `clock_rate` is the payload type's negotiated rate.
  // The digits this packet completes: none, one, or two (an event whose end was lost, then one that ended at once).
  std::vector<DtmfTone> on_packet(std::uint32_t ssrc, std::uint32_t timestamp, std::span<const std::uint8_t> payload,
                                  std::uint32_t clock_rate);
  // An event still open (its end never came): reported now, e.g. when the stream ends.
  std::optional<DtmfTone> flush();

 private:
  struct Open {
    std::uint32_t ssrc = 0;
    std::uint32_t timestamp = 0;      // of the current segment
    std::uint64_t earlier_units = 0;  // full segments before it
    std::uint32_t segment_units = 0;  // this segment's greatest duration so far
    std::uint32_t clock_rate = 8000;
    std::uint8_t event = 0;
  };
  std::optional<DtmfTone> finish(const Open& open) const;

  std::optional<Open> open_;
  // The last event reported, so that its repeated end packets and late duplicates are not digits again.
  std::optional<std::pair<std::uint32_t, std::uint32_t>> reported_;  // ssrc, timestamp
};

// A telephone-event payload type of an SDP media section.
struct TelephoneEvent {
  int payload_type = 0;
  std::uint32_t clock_rate = 8000;
  bool operator==(const TelephoneEvent&) const = default;
};

// Every telephone-event payload type of the first audio m-line of `sdp` (rtpmap lines), in order.
std::vector<TelephoneEvent> telephone_events(std::string_view sdp);

// `sdp` with telephone-event added to its first audio m-line (format list, rtpmap, fmtp 0-15), as RTCDTMFSender's
// peers negotiate it. Offering: `wanted` is what we offer. Answering: `wanted` is the offer's entry we accept. Returns
// nullopt when the section already has it or there is no audio section.
std::optional<std::string> with_telephone_event(std::string_view sdp, const TelephoneEvent& wanted);

// Which of the offer's telephone-events to answer with: the 8000 Hz one (what RTCDTMFSender uses), else the first.
std::optional<TelephoneEvent> preferred_telephone_event(const std::vector<TelephoneEvent>& offered);

}  // namespace mxcall::media
