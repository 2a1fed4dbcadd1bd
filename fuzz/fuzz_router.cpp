// Fuzzes the call engine with random sequences of (possibly malformed) sync batches, user actions, media events and
// time steps, checking the engine's invariants after every step:
//   - at most one select_answer is sent per call;
//   - nothing is sent for a call after it ended;
//   - everything sent reads back as a valid call event that meets the sending rules (peer ids echoed verbatim);
//   - time never makes it fire early (outputs of advance() come at or after the deadline it announced).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdlib>
#include <map>
#include <set>
#include <string>

#include "mxcall/protocol/event_reader.hpp"
#include "mxcall/protocol/router.hpp"
#include "mxcall/protocol/send_rules.hpp"

namespace {

using namespace mxcall::protocol;

constexpr const char* kRooms[] = {"!a:x", "!b:x"};
constexpr const char* kCalls[] = {"c1", "c2", "c3", "a0", "z9"};
constexpr const char* kSenders[] = {"@me:x", "@bob:x", "@carol:x"};
constexpr const char* kParties[] = {"ME", "BOB1", "BOB2", "CAROL", ""};
constexpr const char* kTypes[] = {
    "m.call.invite",  "m.call.answer",        "m.call.candidates",         "m.call.hangup",
    "m.call.reject",  "m.call.select_answer", "m.call.negotiate",          "m.call.sdp_stream_metadata_changed",
    "m.room.message", "m.call.replaces",      "m.call.reject_replacement", "m.call.asserted_identity"};

template <typename T, std::size_t N>
const char* pick(FuzzedDataProvider& in, const T (&options)[N]) {
  return options[in.ConsumeIntegralInRange<std::size_t>(0, N - 1)];
}

// One room event as JSON, from a small vocabulary so that events meet each other, with random damage.
std::string make_event(FuzzedDataProvider& in) {
  std::string type = pick(in, kTypes);
  std::string content = std::string(R"({"call_id":")") + pick(in, kCalls) + "\"";
  std::string party = pick(in, kParties);
  if (!party.empty()) content += R"(,"party_id":")" + party + "\"";
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0: content += R"(,"version":"1")"; break;
    case 1: content += R"(,"version":0)"; break;
    case 2: content += R"(,"version":1)"; break;
    default: break;
  }
  std::string sdp = in.ConsumeBool() ? "v=0 x" : "v=0 y";
  if (type == "m.call.invite") {
    content += R"(,"offer":{"type":"offer","sdp":")" + sdp + R"("},"lifetime":)" +
               std::to_string(in.ConsumeIntegralInRange<int>(0, 120000));
    if (in.ConsumeBool()) content += std::string(R"(,"invitee":")") + pick(in, kSenders) + "\"";
  } else if (type == "m.call.answer") {
    content += R"(,"answer":{"type":"answer","sdp":")" + sdp + R"("})";
  } else if (type == "m.call.candidates") {
    content +=
        in.ConsumeBool()
            ? R"(,"candidates":[{"candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host","sdpMid":"0"},{"candidate":""}])"
            : R"(,"candidates":[])";
  } else if (type == "m.call.hangup") {
    if (in.ConsumeBool()) content += R"(,"reason":"ice_failed")";
  } else if (type == "m.call.select_answer") {
    content += std::string(R"(,"selected_party_id":")") + pick(in, kParties) + "\"";
  } else if (type == "m.call.negotiate") {
    content += std::string(R"(,"description":{"type":")") + (in.ConsumeBool() ? "offer" : "answer") +
               R"(","sdp":"v=0 n"},"lifetime":)" + std::to_string(in.ConsumeIntegralInRange<int>(0, 60000));
  } else if (type == "m.call.replaces") {  // transfers meet the calls they name (rules T5-T8)
    content += std::string(R"(,"replacement_id":"r1","target_user":{"id":")") + pick(in, kSenders) + R"("},)" +
               (in.ConsumeBool() ? R"("create_call":")" : R"("await_call":")") + pick(in, kCalls) + R"(")";
  } else if (type == "m.call.reject_replacement") {
    content += R"(,"replacement_id":"r1","reason":"declined")";
  } else if (type == "m.call.asserted_identity") {
    content += in.ConsumeBool() ? R"(,"asserted_identity":{"display_name":"x"})" : R"(,"asserted_identity":null)";
  } else if (type == "m.call.sdp_stream_metadata_changed") {
    content += R"(,"sdp_stream_metadata":{"s":{"purpose":"m.usermedia","audio_muted":true}})";
  }
  content += "}";
  std::string event = R"({"type":")" + type + R"(","room_id":")" + pick(in, kRooms) + R"(","sender":")" +
                      pick(in, kSenders) + R"(","event_id":"$)" + std::to_string(in.ConsumeIntegral<std::uint16_t>()) +
                      R"(","unsigned":{"age":)" + std::to_string(in.ConsumeIntegralInRange<int>(0, 200000)) +
                      R"(},"content":)" + content + "}";
  if (in.ConsumeIntegralInRange<int>(0, 15) == 0 && !event.empty()) {  // damage: the reader must cope
    event[in.ConsumeIntegralInRange<std::size_t>(0, event.size() - 1)] = static_cast<char>(in.ConsumeIntegral<char>());
  }
  return event;
}

UserAction make_action(FuzzedDataProvider& in) {
  CallRef ref{pick(in, kRooms), pick(in, kCalls)};
  switch (in.ConsumeIntegralInRange<int>(0, 12)) {
    case 0: return action::Call{ref.room_id, ref.call_id, std::string(pick(in, kSenders)), in.ConsumeBool()};
    case 1: return action::Answer{ref, in.ConsumeBool()};
    case 2: return action::Reject{ref};
    case 3: return action::Hangup{ref};
    case 4: return action::Hold{ref};
    case 5: return action::Resume{ref};
    case 6: return action::Mute{ref, in.ConsumeBool(), in.ConsumeBool()};
    case 7: return action::SetVideo{ref, in.ConsumeBool()};
    case 8:
      return action::Transfer{ref,  pick(in, kSenders), std::nullopt, std::nullopt, pick(in, kCalls),
                              "r1", in.ConsumeBool()};
    case 9: return action::AnswerTransfer{ref, "r1", in.ConsumeBool(), pick(in, kRooms), in.ConsumeBool()};
    case 10: return action::AssertIdentity{ref, Identity{std::nullopt, "x", std::nullopt}};
    case 11: return action::Busy{ref};
    default: return action::Call{ref.room_id, ref.call_id, std::nullopt, false};
  }
}

MediaEvent make_media(FuzzedDataProvider& in) {
  CallRef ref{pick(in, kRooms), pick(in, kCalls)};
  switch (in.ConsumeIntegralInRange<int>(0, 6)) {
    case 0: return {ref, media_event::LocalDescription{in.ConsumeBool() ? "offer" : "answer", "v=0 local"}};
    case 1: return {ref, media_event::LocalCandidate{"candidate:2 1 udp 1 127.0.0.1 7 typ host", "0", 0u}};
    case 2: return {ref, media_event::GatheringComplete{}};
    case 3: return {ref, media_event::IceStateChanged{IceState::connected}};
    case 4: return {ref, media_event::IceStateChanged{IceState::disconnected}};
    case 5: return {ref, media_event::IceStateChanged{IceState::failed}};
    default: return {ref, media_event::Failed{MediaFailure::local_media, "gone"}};
  }
}

struct Checker {
  std::map<CallRef, int> selects;
  std::set<CallRef> ended;
  EventReader reader;

  void check(const std::vector<Output>& outputs) {
    for (const Output& o : outputs) {
      if (const auto* u = std::get_if<CallUpdate>(&o); u != nullptr && u->state == CallState::ended) {
        ended.insert(u->call);
      }
      const auto* s = std::get_if<SendEvent>(&o);
      if (s == nullptr) continue;
      std::string event =
          R"({"type":")" + std::string(type_name(s->kind)) + R"(","sender":"@me:x","content":)" + s->content + "}";
      ReadResult r = reader.read_event(event);
      if (r.status != ReadStatus::call_event) std::abort();  // we sent something unreadable
      if (check_send_rules(r.event.content, VersionCheck::check, PeerIds::verbatim)) std::abort();
      CallRef ref{s->room_id, std::string(common_of(r.event.content).call_id)};
      if (ended.contains(ref)) std::abort();  // sent after the call ended
      if (s->kind == EventKind::select_answer && ++selects[ref] > 1) std::abort();
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  Timeouts timeouts;
  // Ended call ids stay remembered for the whole run, so that "nothing is sent after ended" is exact: an id is
  // never used again.
  timeouts.ended_call_memory_ms = 1'000'000'000;
  Router router(LocalParty{"@me:x", "ME"}, timeouts);
  Checker checker;
  EventReader reader;
  Millis now = 0;
  for (int step = 0; step < 200 && in.remaining_bytes() > 0; ++step) {
    switch (in.ConsumeIntegralInRange<int>(0, 4)) {
      case 0: {
        std::string batch = "[";
        int n = in.ConsumeIntegralInRange<int>(1, 6);
        for (int i = 0; i < n; ++i) batch += (i ? "," : "") + make_event(in);
        batch += "]";
        std::vector<ReadResult> results;
        reader.read_events(batch, "!a:x", results);
        router.sync_batch(results, now);
        break;
      }
      case 1: router.act(make_action(in), now); break;
      case 2: router.media_event(make_media(in), now); break;
      case 3: {
        Millis step_to = now + in.ConsumeIntegralInRange<Millis>(0, 100000);
        while (auto deadline = router.next_deadline()) {
          if (*deadline > step_to) break;
          if (*deadline < now) std::abort();  // a deadline in the past was left unfired
          now = *deadline;
          router.advance(now);
          checker.check(router.take_outputs());
        }
        now = step_to;
        router.advance(now);
        break;
      }
      default: {
        if (in.ConsumeBool()) {
          router.room_join_rule({pick(in, kRooms), in.ConsumeBool()}, now);
        } else {
          router.member_left({pick(in, kRooms), pick(in, kSenders)}, now);
        }
      }
    }
    checker.check(router.take_outputs());
  }
  return 0;
}
