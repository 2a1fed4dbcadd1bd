#include "mxcall/media/audio_analysis.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <numbers>

namespace mxcall::media {

std::vector<std::int16_t> read_wav(const std::string& path, int* sample_rate) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::int16_t> samples;
  *sample_rate = 0;
  auto u32 = [&](std::size_t at) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at])) |
           static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 1])) << 8 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 2])) << 16 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 3])) << 24;
  };
  if (bytes.size() < 44 || std::string(bytes.data(), 4) != "RIFF") return samples;
  std::size_t at = 12;
  *sample_rate = 0;
  while (at + 8 <= bytes.size()) {
    std::string id(bytes.data() + at, 4);
    std::uint32_t size = u32(at + 4);
    if (id == "fmt ") *sample_rate = static_cast<int>(u32(at + 12));
    if (id == "data") {
      std::size_t begin = at + 8;
      std::size_t end = (size == 0 || begin + size > bytes.size()) ? bytes.size() : begin + size;
      for (std::size_t i = begin; i + 1 < end; i += 2) {
        samples.push_back(static_cast<std::int16_t>(static_cast<unsigned char>(bytes[i]) |
                                                    static_cast<unsigned char>(bytes[i + 1]) << 8));
      }
      break;
    }
    at += 8 + size + (size & 1);
  }
  return samples;
}

void write_wav(const std::string& path, double frequency_hz, double seconds) {
  const std::uint32_t rate = 48000, n = static_cast<std::uint32_t>(seconds * rate);
  std::ofstream out(path, std::ios::binary);
  auto u32 = [&](std::uint32_t v) { out.write(reinterpret_cast<const char*>(&v), 4); };
  auto u16 = [&](std::uint16_t v) { out.write(reinterpret_cast<const char*>(&v), 2); };
  out.write("RIFF", 4), u32(36 + n * 2), out.write("WAVEfmt ", 8), u32(16), u16(1), u16(1), u32(rate), u32(rate * 2),
      u16(2), u16(16), out.write("data", 4), u32(n * 2);
  for (std::uint32_t i = 0; i < n; ++i) {
    u16(static_cast<std::uint16_t>(
        static_cast<std::int16_t>(10000 * std::sin(2 * std::numbers::pi * frequency_hz * i / rate))));
  }
}

namespace {
double goertzel_power(const std::int16_t* x, std::size_t n, double freq, int rate) {
  double w = 2.0 * std::numbers::pi * freq / rate, coeff = 2.0 * std::cos(w);
  double s1 = 0, s2 = 0;
  for (std::size_t i = 0; i < n; ++i) {
    double s0 = x[i] + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}
}  // namespace

double dominant_frequency(const std::vector<std::int16_t>& samples, int rate, double lo, double hi) {
  std::size_t n = static_cast<std::size_t>(rate);  // one second: 1 Hz resolution before refinement
  if (samples.size() < n) n = samples.size();
  if (n == 0) return 0;
  // The loudest second, so that silence before the call connected does not dilute the measurement.
  std::size_t best_at = 0;
  double best_energy = -1;
  for (std::size_t at = 0, step = std::max<std::size_t>(1, n / 4); at + n <= samples.size(); at += step) {
    double e = 0;
    for (std::size_t i = at; i < at + n; i += 16) e += static_cast<double>(samples[i]) * samples[i];
    if (e > best_energy) best_energy = e, best_at = at;
  }
  const std::int16_t* x = samples.data() + best_at;
  double best_f = lo, best_p = -1;
  for (double f = lo; f <= hi; f += 4) {
    double p = goertzel_power(x, n, f, rate);
    if (p > best_p) best_p = p, best_f = f;
  }
  double center = best_f;
  for (double f = center - 4; f <= center + 4; f += 0.25) {
    double p = goertzel_power(x, n, f, rate);
    if (p > best_p) best_p = p, best_f = f;
  }
  return best_f;
}

}  // namespace mxcall::media
