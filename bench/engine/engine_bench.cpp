// engine_bench: the protocol engine of one party under realistic load, and its memory per call.
//
//   router_traffic   10,000 concurrent calls in 1,000 rooms, half placed by us and half received: invites,
//                    candidate batches, answers, select_answers and hangups as sync batches of 64 events. Events are
//                    prebuilt (no JSON reading). Timed: the sync batches and everything they cause (the events the
//                    engine writes and sends, its media commands); not timed: the user actions and media results
//                    that set the calls up, which are not events.
//   json_read        the baseline in the same run: reading the same events from JSON with EventReader.
// After the runs it prints events per second for both and their ratio, and the bytes held per idle ringing call and
// per connected call (SDP text not counted), from a counting allocator.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <map>
#include <new>
#include <string>
#include <vector>

#include "mxcall/protocol/event_reader.hpp"
#include "mxcall/protocol/event_writer.hpp"
#include "mxcall/protocol/router.hpp"

#include "counting_allocator.hpp"

namespace {

using namespace mxcall::protocol;

constexpr int kCalls = 10000;
constexpr int kRooms = 1000;
constexpr std::size_t kBatch = 64;
const LocalParty kMe{"@me:bench", "MEDEVICE"};

std::string sdp_text(int i) {
  std::string s = "v=0\r\no=- " + std::to_string(1000 + i) + " 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
  while (s.size() < 2500) s += "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n";
  return s;
}

using Batches = std::vector<std::vector<ReadResult>>;
Batches batches_of(const std::vector<RoomEvent>& events);

// Prebuilt traffic: RoomEvents whose strings live in `strings`.
struct Traffic {
  std::deque<std::string> strings;
  std::vector<RoomEvent> invites, caller_candidates, answers, callee_candidates, selects, hangups;
  Batches invite_batches, caller_candidate_batches, answer_batches, callee_candidate_batches, select_batches,
      hangup_batches;
  std::size_t sdp_bytes_in_invites = 0;

  std::string_view keep(std::string s) { return strings.emplace_back(std::move(s)); }
  std::string_view room(int i) { return keep("!room" + std::to_string(i % kRooms) + ":bench"); }
  std::string_view peer(int i) { return keep("@peer" + std::to_string(i) + ":bench"); }
  static bool incoming(int i) { return i % 2 == 0; }
  std::string_view call_id(int i) { return keep((incoming(i) ? "in-" : "out-") + std::to_string(i)); }

  RoomEvent event(int i, std::string_view sender, std::string_view event_id, CallContent content) {
    return RoomEvent{
        type_name(static_cast<EventKind>(content.index())), sender, room(i), event_id, 1, 50, std::move(content)};
  }

  Traffic() {
    for (int i = 0; i < kCalls; ++i) {
      std::string_view id = call_id(i), who = peer(i), party = keep("PEER" + std::to_string(i));
      CallCommon common{id, party, Version::v1()};
      std::vector<Candidate> batch = {
          {keep("candidate:1 1 udp 2130706431 192.0.2." + std::to_string(i % 250) + " 50000 typ host"), "0", 0u},
          {keep("candidate:2 1 udp 1694498815 203.0.113.7 " + std::to_string(1024 + i % 60000) + " typ srflx"), "0",
           0u}};
      auto eid = [&](const char* what) { return keep(std::string("$") + what + std::to_string(i)); };
      if (incoming(i)) {
        std::string_view sdp = keep(sdp_text(i));
        sdp_bytes_in_invites += sdp.size();
        invites.push_back(event(i, who, eid("inv"), Invite{common, {"offer", sdp}, 90000, kMe.user_id, {}, {}}));
        caller_candidates.push_back(event(i, who, eid("cc1"), Candidates{common, batch}));
        caller_candidates.push_back(event(i, who, eid("cc2"), Candidates{common, batch}));
        selects.push_back(event(i, who, eid("sel"), SelectAnswer{common, kMe.party_id}));
      } else {
        answers.push_back(event(i, who, eid("ans"), Answer{common, {"answer", keep(sdp_text(i))}, {}, {}}));
        callee_candidates.push_back(event(i, who, eid("ec1"), Candidates{common, batch}));
        callee_candidates.push_back(event(i, who, eid("ec2"), Candidates{common, batch}));
      }
      hangups.push_back(event(i, who, eid("hup"), Hangup{common, "user_hangup", true}));
    }
    invite_batches = batches_of(invites);
    caller_candidate_batches = batches_of(caller_candidates);
    answer_batches = batches_of(answers);
    callee_candidate_batches = batches_of(callee_candidates);
    select_batches = batches_of(selects);
    hangup_batches = batches_of(hangups);
  }
};

Traffic& traffic() {
  static Traffic t;
  return t;
}

// The traffic as sync batches of kBatch ReadResults, as EventReader would hand them over: built once, outside the
// measurement.
using Batches = std::vector<std::vector<ReadResult>>;

Batches batches_of(const std::vector<RoomEvent>& events) {
  Batches out;
  for (std::size_t start = 0; start < events.size(); start += kBatch) {
    auto& batch = out.emplace_back();
    for (std::size_t i = start; i < std::min(events.size(), start + kBatch); ++i) {
      ReadResult& r = batch.emplace_back();
      r.status = ReadStatus::call_event;
      r.type = events[i].type;
      r.event = events[i];
    }
  }
  return out;
}

// The untimed check run counts what the router refused: the scenario is only a benchmark if every action in it was
// taken (the smoke test fails otherwise).
bool g_checking = false;
std::size_t g_refused = 0;

void check(const std::vector<Output>& outputs) {
  if (!g_checking) return;
  for (const Output& o : outputs) {
    if (const auto* refused = std::get_if<ActionRefused>(&o)) {
      if (g_refused++ == 0)
        std::fprintf(stderr, "engine_bench: refused %s: %s\n", refused->call.call_id.c_str(), refused->why.c_str());
    }
  }
}

void drain(Router& router) {
  std::vector<Output> outputs = router.take_outputs();
  check(outputs);
  benchmark::DoNotOptimize(outputs.data());
}

// Outputs are taken into one kept vector, as an application's loop would; executing them is not the router's work,
// but destroying them is counted.
std::size_t feed(Router& router, const Batches& batches, Millis now) {
  static std::vector<Output> outputs;
  std::size_t n = 0;
  for (const auto& batch : batches) {
    router.sync_batch(batch, now);
    router.take_outputs(outputs);
    check(outputs);
    benchmark::DoNotOptimize(outputs.data());
    n += batch.size();
  }
  outputs.clear();
  return n;
}

CallRef ref_of(const RoomEvent& e) { return {std::string(e.room_id), std::string(common_of(e.content).call_id)}; }

void describe(Router& router, const CallRef& ref, const char* type, Millis now) {
  router.media_event({ref, media_event::LocalDescription{type, "v=0 local"}}, now);
  router.media_event({ref, media_event::GatheringComplete{}}, now);
}

// The whole scenario: returns the number of m.call.* events fed.
// `state`, when given, is paused around everything but the sync batches: the figure is events through the router;
// the user actions and media results that set the calls up are not events.
std::size_t run_scenario(Router& router, int* ringing_probe = nullptr, std::int64_t* bytes_ringing = nullptr,
                         std::int64_t* bytes_connected = nullptr, std::int64_t router_base = 0,
                         benchmark::State* state = nullptr) {
  auto pause = [&] {
    if (state != nullptr) state->PauseTiming();
  };
  auto resume = [&] {
    if (state != nullptr) state->ResumeTiming();
  };
  Traffic& t = traffic();
  pause();
  Millis now = 1000;
  std::size_t events = 0;
  for (int i = 1; i < kCalls; i += 2) {  // our outgoing calls
    CallRef ref{std::string(t.room(i)), "out-" + std::to_string(i)};
    router.act(action::Call{ref.room_id, ref.call_id, std::string(t.peer(i)), false}, now);
    describe(router, ref, "offer", now);
    drain(router);
  }
  std::int64_t before_invites = mxcall::bench::live_heap_bytes();
  resume();
  events += feed(router, t.invite_batches, now += 100);
  pause();
  if (bytes_ringing != nullptr) {
    *bytes_ringing =
        (mxcall::bench::live_heap_bytes() - before_invites - static_cast<std::int64_t>(t.sdp_bytes_in_invites)) /
        static_cast<std::int64_t>(t.invites.size());
  }
  if (ringing_probe != nullptr) *ringing_probe = static_cast<int>(router.live_calls());
  now += 100;
  for (const auto& invite : t.invites) {
    CallRef ref = ref_of(invite);
    router.act(action::Answer{ref, false}, now);
    describe(router, ref, "answer", now);
    drain(router);
  }
  resume();
  events += feed(router, t.caller_candidate_batches, now += 100);
  events += feed(router, t.answer_batches, now += 100);
  events += feed(router, t.callee_candidate_batches, now += 100);
  events += feed(router, t.select_batches, now += 100);
  pause();
  for (const auto* list : {&t.invites, &t.answers}) {
    for (const auto& e : *list) router.media_event({ref_of(e), media_event::IceStateChanged{IceState::connected}}, now);
  }
  drain(router);
  if (bytes_connected != nullptr) {
    // Every call is connected now; the figure is the router's whole holding divided by the calls.
    *bytes_connected = (mxcall::bench::live_heap_bytes() - router_base) / kCalls;
  }
  resume();
  events += feed(router, t.hangup_batches, now += 60000);
  pause();
  return events;
}

void router_traffic(benchmark::State& state) {
  std::size_t events = 0;
  for (auto _ : state) {
    Router router(kMe);
    events += run_scenario(router, nullptr, nullptr, nullptr, 0, &state);
    state.ResumeTiming();
  }
  state.counters["events_per_second"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}

// The baseline: reading the same traffic's events from JSON.
void json_read(benchmark::State& state) {
  Traffic& t = traffic();
  std::vector<std::string> batches;
  for (const auto* list :
       {&t.invites, &t.caller_candidates, &t.answers, &t.callee_candidates, &t.selects, &t.hangups}) {
    for (std::size_t start = 0; start < list->size(); start += kBatch) {
      std::string json = "[";
      std::string one;
      for (std::size_t i = start; i < std::min(list->size(), start + kBatch); ++i) {
        (void)write_room_event((*list)[i], one);
        json += (i == start ? "" : ",") + one;
      }
      batches.push_back(json + "]");
    }
  }
  EventReader reader;
  std::vector<ReadResult> out;
  std::size_t events = 0;
  for (auto _ : state) {
    for (auto& b : batches) {
      out.clear();
      (void)reader.read_events_in_place(b, "", out);
      events += out.size();
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["events_per_second"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}

// Call-id flooding: invites whose ids a peer chose so that their hashes collide, then their hangups (a lookup and
// an erase each). The ids are crafted against std::hash<std::string_view> (libstdc++'s unseeded hash, what the call
// table used to use): their low 13 bits are equal, so in the 2^16-slot table they share 8 home slots and each insert,
// lookup and erase walks a run of thousands. With a keyed hash they are as good as random ids. The baseline is the
// same number of plain ids, in the same run.
constexpr int kFloodCalls = 20000;

struct Flood {
  std::deque<std::string> strings;
  Batches invites, hangups;
  explicit Flood(bool crafted) {
    auto keep = [&](std::string s) -> std::string_view { return strings.emplace_back(std::move(s)); };
    std::string_view sdp = keep(sdp_text(0));
    std::vector<RoomEvent> invite_events, hangup_events;
    std::uint64_t candidate = 0;
    for (int i = 0; i < kFloodCalls; ++i) {
      std::string id;
      if (crafted) {
        do {
          id = "f" + std::to_string(candidate++);
        } while ((std::hash<std::string_view>{}(id)&0x1FFF) != 0);
      } else {
        id = "p" + std::to_string(i);
      }
      std::string_view call_id = keep(std::move(id)), sender = keep("@s" + std::to_string(i) + ":bench");
      CallCommon common{call_id, keep("P" + std::to_string(i)), Version::v1()};
      invite_events.push_back(RoomEvent{type_name(EventKind::invite), sender, "!flood:bench",
                                        keep("$i" + std::to_string(i)), 1, 50,
                                        Invite{common, {"offer", sdp}, 90000, kMe.user_id, {}, {}}});
      hangup_events.push_back(RoomEvent{type_name(EventKind::hangup), sender, "!flood:bench",
                                        keep("$h" + std::to_string(i)), 1, 50, Hangup{common, "user_hangup", true}});
    }
    invites = batches_of(invite_events);
    hangups = batches_of(hangup_events);
  }
};

Timeouts flood_timeouts() {
  Timeouts t;
  t.limits.max_live_calls = kFloodCalls;  // the caps would otherwise refuse most of the flood, which is not timed here
  t.limits.max_live_calls_per_room = kFloodCalls;
  return t;
}

void flood(benchmark::State& state, bool crafted) {
  static const Flood plain(false), colliding(true);
  const Flood& f = crafted ? colliding : plain;
  std::size_t events = 0;
  for (auto _ : state) {
    Router router(kMe, flood_timeouts());
    for (const auto* batches : {&f.invites, &f.hangups}) {
      for (const auto& batch : *batches) {
        router.sync_batch(batch, 1000);
        events += batch.size();
        benchmark::DoNotOptimize(router.take_outputs());
      }
      if (batches == &f.invites && router.live_calls() != static_cast<std::size_t>(kFloodCalls)) {
        state.SkipWithError("invites were refused");
      }
    }
  }
  state.counters["events_per_second"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}
void flood_plain_ids(benchmark::State& state) { flood(state, false); }
void flood_colliding_ids(benchmark::State& state) { flood(state, true); }

BENCHMARK(router_traffic)->Unit(benchmark::kMillisecond);
BENCHMARK(json_read)->Unit(benchmark::kMillisecond);
BENCHMARK(flood_plain_ids)->Unit(benchmark::kMillisecond);
BENCHMARK(flood_colliding_ids)->Unit(benchmark::kMillisecond);

class Reporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred || (run.run_type == Run::RT_Aggregate && run.aggregate_name != "median")) continue;
      auto it = run.counters.find("events_per_second");
      if (it != run.counters.end()) rate_[run.run_name.function_name] = it->second.value;
    }
  }
  std::map<std::string, double> rate_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  traffic();  // built before any measurement
  Reporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);

  std::int64_t ringing = 0, connected = 0;
  int live = 0;
  std::size_t live_at_end = 0;
  {
    // Counting is on from before the router exists to after it is gone, so that what it frees is counted too.
    mxcall::bench::count_heap(true);
    std::int64_t base = mxcall::bench::live_heap_bytes();
    Router router(kMe);
    g_checking = true;
    run_scenario(router, &live, &ringing, &connected, base);
    g_checking = false;
    live_at_end = router.live_calls();
  }
  mxcall::bench::count_heap(false);
  double engine = reporter.rate_["router_traffic"], reader = reporter.rate_["json_read"];
  std::printf("\n%d concurrent calls in %d rooms (%d live after the invites)\n", kCalls, kRooms, live);
  if (engine > 0 && reader > 0) {
    std::printf(
        "router: %.0f events/s (target >= 1,000,000); JSON reading of the same events: %.0f events/s; "
        "router / reading = %.2fx\n",
        engine, reader, engine / reader);
  }
  double plain = reporter.rate_["flood_plain_ids"], colliding = reporter.rate_["flood_colliding_ids"];
  if (plain > 0 && colliding > 0) {
    std::printf(
        "%d invites and their hangups in one room: plain ids %.0f events/s, ids crafted to collide %.0f events/s; "
        "plain / crafted = %.2fx (1.0 is immune)\n",
        kFloodCalls, plain, colliding, plain / colliding);
  }
  std::printf("bytes per idle ringing call (SDP text not counted): %lld (target < 2048)\n",
              static_cast<long long>(ringing));
  std::printf("bytes per connected call: %lld (target < 2048)\n", static_cast<long long>(connected));
  benchmark::Shutdown();
  // The scenario's own checks (bench-smoke runs this): every call rang, none was refused, all ended.
  bool ok = live == kCalls && g_refused == 0 && live_at_end == 0;
  if (!ok) {
    std::fprintf(stderr,
                 "engine_bench: scenario broken: %d of %d calls live after the invites, %zu actions refused, %zu calls "
                 "still live at the end\n",
                 live, kCalls, g_refused, live_at_end);
  }
  return ok ? 0 : 1;
}
