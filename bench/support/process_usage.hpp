// What this process has used so far, for the benchmarks' CPU and memory figures.
#pragma once

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>

namespace mxcall::bench {

// User plus system CPU time of every thread of this process, in seconds.
inline double cpu_seconds_self() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// Resident set size now, in KiB.
inline long rss_kib() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * (::sysconf(_SC_PAGESIZE) / 1024);
}

}  // namespace mxcall::bench
