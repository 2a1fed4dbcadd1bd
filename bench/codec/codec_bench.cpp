// codec_bench: reading and validating a 1000-event /sync-like batch, three ways, on the same bytes:
//   simdjson_dom_parse  simdjson's DOM parse alone: full validation, nothing extracted (the ceiling)
//   mxcall_read         mxcall's EventReader: every field typed and checked (the product)
//   nlohmann_read       nlohmann::json parse plus the same fields into std::string structs (mtxclient's way)
// After the runs it prints mxcall's throughput as ratios to both baselines measured in this same run.
#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "mxcall/protocol/event_reader.hpp"
#include "sync_batch.hpp"

namespace {

using mxcall::bench::make_sync_batch;
using mxcall::bench::SyncBatch;

const SyncBatch& batch() {
  static const SyncBatch b = make_sync_batch(1000, 20261126);
  return b;
}

void simdjson_dom_parse(benchmark::State& state) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(batch().json);
  for (auto _ : state) {
    simdjson::dom::element doc;
    if (parser.parse(padded).get(doc)) state.SkipWithError("simdjson refused the batch");
    benchmark::DoNotOptimize(doc);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * batch().json.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch().events));
}

// The /sync response buffer is read where it lies, as a client reading into a reused buffer does; the DOM baseline
// likewise gets its padded copy made outside the timed loop.
void mxcall_read(benchmark::State& state) {
  mxcall::protocol::EventReader reader;
  std::vector<mxcall::protocol::ReadResult> out;
  out.reserve(batch().events);
  std::string json = batch().json;
  for (auto _ : state) {
    out.clear();
    auto error = reader.read_events_in_place(json, "!room:example.org", out);
    if (error || out.size() != batch().events) state.SkipWithError("mxcall refused the batch");
    for (const auto& r : out) {
      if (r.status != mxcall::protocol::ReadStatus::call_event) state.SkipWithError(r.error.to_string().c_str());
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * batch().json.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch().events));
}

// The mtxclient shape: owning strings, at() for required fields (throws when missing or mistyped).
struct NlohmannCandidate {
  std::string candidate, sdp_mid;
  int index = 0;
};
struct NlohmannEvent {
  std::string type, sender, event_id, call_id, party_id, version, sdp_type, sdp, invitee, reason, selected;
  int64_t ts = 0, age = 0, lifetime = 0;
  std::vector<NlohmannCandidate> candidates;
};

bool nlohmann_extract(const nlohmann::json& e, NlohmannEvent& out) {
  try {
    out.type = e.at("type").get<std::string>();
    out.sender = e.at("sender").get<std::string>();
    out.event_id = e.at("event_id").get<std::string>();
    out.ts = e.at("origin_server_ts").get<int64_t>();
    out.age = e.at("unsigned").at("age").get<int64_t>();
    const auto& c = e.at("content");
    out.call_id = c.at("call_id").get<std::string>();
    out.party_id = c.at("party_id").get<std::string>();
    const auto& v = c.at("version");
    out.version = v.is_string() ? v.get<std::string>() : v.dump();
    if (out.type == "m.call.invite") {
      out.lifetime = c.at("lifetime").get<int64_t>();
      out.sdp_type = c.at("offer").at("type").get<std::string>();
      out.sdp = c.at("offer").at("sdp").get<std::string>();
      if (c.contains("invitee")) out.invitee = c.at("invitee").get<std::string>();
    } else if (out.type == "m.call.answer") {
      out.sdp_type = c.at("answer").at("type").get<std::string>();
      out.sdp = c.at("answer").at("sdp").get<std::string>();
    } else if (out.type == "m.call.candidates") {
      out.candidates.clear();
      for (const auto& cand : c.at("candidates")) {
        out.candidates.push_back({cand.at("candidate").get<std::string>(), cand.at("sdpMid").get<std::string>(),
                                  cand.at("sdpMLineIndex").get<int>()});
      }
    } else if (out.type == "m.call.hangup") {
      out.reason = c.value("reason", "user_hangup");
    } else if (out.type == "m.call.select_answer") {
      out.selected = c.at("selected_party_id").get<std::string>();
    }
    return true;
  } catch (const nlohmann::json::exception&) {
    return false;
  }
}

void nlohmann_read(benchmark::State& state) {
  std::vector<NlohmannEvent> out(batch().events);
  for (auto _ : state) {
    nlohmann::json doc = nlohmann::json::parse(batch().json, nullptr, false);
    if (doc.is_discarded()) state.SkipWithError("nlohmann refused the batch");
    std::size_t i = 0;
    for (const auto& e : doc) {
      if (!nlohmann_extract(e, out[i++])) state.SkipWithError("nlohmann: an event failed");
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * batch().json.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch().events));
}

BENCHMARK(simdjson_dom_parse)->Unit(benchmark::kMicrosecond);
BENCHMARK(mxcall_read)->Unit(benchmark::kMicrosecond);
BENCHMARK(nlohmann_read)->Unit(benchmark::kMicrosecond);

// Keeps each run's bytes/s (the median when repetitions are asked for) to print the ratios at the end.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred) continue;
      bool aggregate = run.run_type == Run::RT_Aggregate;
      if (aggregate && run.aggregate_name != "median") continue;
      auto it = run.counters.find("bytes_per_second");
      if (it == run.counters.end()) continue;
      std::string name = run.run_name.function_name;
      if (aggregate || !seen_median_.count(name)) bytes_per_second_[name] = it->second.value;
      if (aggregate) seen_median_[name] = true;
    }
  }

  void print_ratios() const {
    auto get = [&](const char* name) {
      auto it = bytes_per_second_.find(name);
      return it == bytes_per_second_.end() ? 0.0 : it->second;
    };
    double dom = get("simdjson_dom_parse"), ours = get("mxcall_read"), nl = get("nlohmann_read");
    if (dom <= 0 || ours <= 0 || nl <= 0) return;
    std::printf("\nbatch: %zu events, %zu bytes\n", batch().events, batch().json.size());
    std::printf("mxcall_read / simdjson_dom_parse (ceiling): %.2fx   (target >= 0.5x)\n", ours / dom);
    std::printf("mxcall_read / nlohmann_read:                %.2fx   (target >= 8x)\n", ours / nl);
    std::printf("throughput: dom %.0f MB/s, mxcall %.0f MB/s, nlohmann %.0f MB/s\n", dom / 1e6, ours / 1e6, nl / 1e6);
  }

 private:
  std::map<std::string, double> bytes_per_second_;
  std::map<std::string, bool> seen_median_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_ratios();
  benchmark::Shutdown();
  return 0;
}
