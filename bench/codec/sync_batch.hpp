// A deterministic, realistic /sync timeline of call events for benchmarks: 10% invites with 2-4 KB SDP, 60%
// candidates, and answers, hangups, select_answers and rejects for the rest.
#pragma once

#include <cstdint>
#include <string>

namespace mxcall::bench {

struct SyncBatch {
  std::string json;  // a JSON array of room events, `content` first as /sync may order it
  std::size_t events = 0;
};

SyncBatch make_sync_batch(std::size_t events, std::uint32_t seed);

}  // namespace mxcall::bench
