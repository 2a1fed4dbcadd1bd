// N simultaneous two-party audio calls in one process (2N webrtcbin sessions over 127.0.0.1): CPU per call, and
// whether every call carries audio without gaps. Run inside a network namespace with only lo (as tests do):
//   unshare -n -- bash -c 'ip link set lo up; ./media_calls_bench --calls=10,25,40,50 --seconds=10'
// A call is "clean" when, in both directions over the window, decoded audio covers >= 97% of wall time and no two
// decoded 20 ms buffers arrive more than --gap-ms apart. The largest clean N is the figure docs/media.md records.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "media_harness.hpp"

namespace {
using namespace std::chrono_literals;
using mxcall::media::test::Pair;
using mxcall::media::test::tone_options;

double cpu_seconds() {
  rusage r{};
  getrusage(RUSAGE_SELF, &r);
  return static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
         static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

long rss_mb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6)) / 1024;
  }
  return 0;
}

struct Result {
  int calls = 0, connected = 0, clean = 0;
  double cpu_percent_per_call = 0, cpu_percent_total = 0, worst_gap_ms = 0, worst_coverage = 1;
  double setup_seconds = 0;
  long rss = 0;
};

Result run(int calls, double seconds, double gap_ms, int complexity) {
  Result r;
  r.calls = calls;
  auto setup_start = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<Pair>> pairs;
  for (int i = 0; i < calls; ++i) {
    auto a = tone_options(440), b = tone_options(1000);
    a.opus_complexity = b.opus_complexity = complexity;
    auto pair = std::make_unique<Pair>(a, b);
    if (pair->connect(15s)) ++r.connected;
    pairs.push_back(std::move(pair));
  }
  r.setup_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - setup_start).count();
  std::this_thread::sleep_for(1s);  // let the last calls' jitterbuffers fill
  std::vector<std::pair<std::uint64_t, std::uint64_t>> before;
  for (auto& p : pairs) {
    p->a.session->reset_gap_measurement();
    p->b.session->reset_gap_measurement();
    before.emplace_back(p->a.counters().audio_samples_decoded, p->b.counters().audio_samples_decoded);
  }
  double cpu0 = cpu_seconds();
  auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double cpu = cpu_seconds() - cpu0;
  r.rss = rss_mb();
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    auto ca = pairs[i]->a.counters(), cb = pairs[i]->b.counters();
    double cov_a = static_cast<double>(ca.audio_samples_decoded - before[i].first) / (48000.0 * wall);
    double cov_b = static_cast<double>(cb.audio_samples_decoded - before[i].second) / (48000.0 * wall);
    double gap = std::max(ca.max_audio_gap_ms, cb.max_audio_gap_ms);
    r.worst_gap_ms = std::max(r.worst_gap_ms, gap);
    r.worst_coverage = std::min({r.worst_coverage, cov_a, cov_b});
    if (gap <= gap_ms && cov_a >= 0.97 && cov_b >= 0.97) ++r.clean;
  }
  r.cpu_percent_total = 100.0 * cpu / wall;
  r.cpu_percent_per_call = calls ? r.cpu_percent_total / calls : 0;
  pairs.clear();
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> counts = {1, 10, 25};
  double seconds = 10, gap_ms = 100;
  int complexity = 10;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* key) { return arg.substr(std::strlen(key)); };
    if (arg.rfind("--calls=", 0) == 0) {
      counts.clear();
      std::stringstream list(value("--calls="));
      for (std::string n; std::getline(list, n, ',');) counts.push_back(std::stoi(n));
    } else if (arg.rfind("--seconds=", 0) == 0) {
      seconds = std::stod(value("--seconds="));
    } else if (arg.rfind("--gap-ms=", 0) == 0) {
      gap_ms = std::stod(value("--gap-ms="));
    } else if (arg.rfind("--opus-complexity=", 0) == 0) {
      complexity = std::stoi(value("--opus-complexity="));
    } else {
      std::fprintf(stderr, "usage: %s [--calls=1,10,25] [--seconds=10] [--gap-ms=100] [--opus-complexity=10]\n",
                   argv[0]);
      return 2;
    }
  }
  if (auto problem = mxcall::media::GstMediaEngine(tone_options(440)).check_ready()) {
    std::fprintf(stderr, "%s\n", problem->c_str());
    return 1;
  }
  std::printf("%u cores, %.0f s windows, gap limit %.0f ms, opus complexity %d\n", std::thread::hardware_concurrency(),
              seconds, gap_ms, complexity);
  std::printf("%6s %9s %6s %10s %10s %12s %13s %8s %8s\n", "calls", "connected", "clean", "cpu%/call", "cpu%total",
              "worst gap ms", "worst cover %", "rss MB", "setup s");
  int largest_clean = 0;
  bool all_connected = true;
  for (int n : counts) {
    Result r = run(n, seconds, gap_ms, complexity);
    std::printf("%6d %9d %6d %10.2f %10.1f %12.1f %13.1f %8ld %8.1f\n", r.calls, r.connected, r.clean,
                r.cpu_percent_per_call, r.cpu_percent_total, r.worst_gap_ms, 100 * r.worst_coverage, r.rss,
                r.setup_seconds);
    std::fflush(stdout);
    if (r.clean == n && r.connected == n) largest_clean = std::max(largest_clean, n);
    all_connected = all_connected && r.connected == n;
  }
  std::printf("largest N without audio gaps: %d\n", largest_clean);
  return all_connected ? 0 : 1;
}
