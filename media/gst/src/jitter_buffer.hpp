// The receive jitter buffer's size over a call: it starts small, so the first audio plays soon after ICE connects,
// and grows when the network shows it is too small. Pure policy here; jitter_buffer.cpp applies it to webrtcbin.
#pragma once

#include <cstdint>

namespace mxcall::media::gst {

// What the jitter buffers reported since the last look.
struct JitterObservation {
  std::uint64_t late_packets = 0;  // arrived after their playout time and were dropped (Opus concealed them)
  double jitter_ms = 0;            // smoothed inter-arrival jitter (rtpjitterbuffer's avg-jitter), the worst stream
};

// The buffer to use next, in ms: never smaller than `current` (shrinking a playing buffer skips audio), never over
// `max`. It covers four times the measured jitter plus one 20 ms Opus frame (about the 95th percentile of arrival
// delay for jitter that is roughly exponential), and grows by half (at least 20 ms) whenever packets came late,
// since each late packet is a concealed gap the listener hears. Multiples of 10 ms, so noise does not change it.
std::uint32_t next_jitter_buffer_ms(std::uint32_t current, std::uint32_t max, const JitterObservation& seen);

}  // namespace mxcall::media::gst
