// What a recorded call carried: WAV reading and tone detection, for `mxcall demo`, the examples' tests and the
// media tests. Plain C++.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mxcall::media {

// 16-bit PCM mono from a WAV file. Header sizes are not trusted: a recording cut short (its header never completed)
// still reads, the data chunk running to the end of the file. Empty when the file is missing or not a WAV.
std::vector<std::int16_t> read_wav(const std::string& path, int* sample_rate);

// Writes a 48 kHz mono 16-bit sine (a greeting for the answering machine, a test's source).
void write_wav(const std::string& path, double frequency_hz, double seconds);

// The frequency (Hz) with the most energy between lo and hi, by a Goertzel sweep (4 Hz steps, then 0.25 Hz around the
// best) over the loudest second of the signal, so that silence before the call connected does not dilute it.
double dominant_frequency(const std::vector<std::int16_t>& samples, int sample_rate, double lo = 100, double hi = 4000);

// Whether `measured` is within `tolerance` (a fraction) of `expected`.
inline bool same_tone(double measured, double expected, double tolerance = 0.02) {
  return measured >= expected * (1 - tolerance) && measured <= expected * (1 + tolerance);
}

}  // namespace mxcall::media
