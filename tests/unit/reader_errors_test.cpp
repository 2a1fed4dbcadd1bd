// What cannot be used is rejected with an error that names the field, and nothing crashes.
#include <gtest/gtest.h>

#include <random>

#include "mxcall/protocol/event_reader.hpp"
#include "test_events.hpp"

namespace mxcall::protocol {
namespace {

using nlohmann::json;
using test::common;
using test::room_event;

struct Case {
  const char* name;
  json event;
  const char* field;
  const char* reason_contains;
};

json without(json j, const std::string& pointer) {
  json::json_pointer p(pointer);
  j[p.parent_pointer()].erase(p.back());
  return j;
}

json with(json j, const std::string& pointer, json value) {
  j[json::json_pointer(pointer)] = std::move(value);
  return j;
}

std::vector<Case> cases() {
  json invite = room_event("m.call.invite", test::invite_content());
  json candidates = room_event("m.call.candidates", test::candidates_content());
  json select = room_event("m.call.select_answer", common({{"selected_party_id", "p2"}}));
  json negotiate = room_event("m.call.negotiate",
                              common({{"description", {{"type", "offer"}, {"sdp", "v=0"}}}, {"lifetime", 1000}}));
  json hangup = room_event("m.call.hangup", common({{"reason", "user_hangup"}}));
  json meta = room_event("m.call.sdp_stream_metadata_changed",
                         common({{"sdp_stream_metadata", {{"s", {{"purpose", "m.usermedia"}}}}}}));
  return {
      {"no call_id", without(hangup, "/content/call_id"), "content.call_id", "missing"},
      {"empty call_id", with(hangup, "/content/call_id", ""), "content.call_id", "empty"},
      {"call_id a number", with(hangup, "/content/call_id", 5), "content.call_id", "expected a string, got a number"},
      {"party_id an object", with(hangup, "/content/party_id", json::object()), "content.party_id",
       "expected a string, got an object"},
      {"version a boolean", with(hangup, "/content/version", true), "content.version",
       "expected a string or a number, got a boolean"},
      {"reason a number", with(hangup, "/content/reason", 3), "content.reason", "expected a string"},
      {"invite without offer", without(invite, "/content/offer"), "content.offer", "missing"},
      {"invite without offer.sdp", without(invite, "/content/offer/sdp"), "content.offer.sdp", "missing"},
      {"offer.sdp a number", with(invite, "/content/offer/sdp", 1), "content.offer.sdp", "expected a string"},
      {"offer a string", with(invite, "/content/offer", "v=0"), "content.offer", "expected an object, got a string"},
      {"invite without lifetime", without(invite, "/content/lifetime"), "content.lifetime", "missing"},
      {"lifetime a string", with(invite, "/content/lifetime", "60000"), "content.lifetime",
       "expected a number of milliseconds, got a string"},
      {"lifetime negative", with(invite, "/content/lifetime", -1), "content.lifetime", "must not be negative"},
      {"lifetime fractional", with(invite, "/content/lifetime", 1.5), "content.lifetime", "whole number"},
      {"invitee a number", with(invite, "/content/invitee", 7), "content.invitee", "expected a string"},
      {"metadata an array", with(invite, "/content/sdp_stream_metadata", json::array()), "content.sdp_stream_metadata",
       "expected an object, got an array"},
      {"metadata without purpose", with(meta, "/content/sdp_stream_metadata/s", json::object()),
       "content.sdp_stream_metadata.s.purpose", "missing"},
      {"audio_muted a string", with(meta, "/content/sdp_stream_metadata/s/audio_muted", "yes"),
       "content.sdp_stream_metadata.s.audio_muted", "expected a boolean, got a string"},
      {"metadata_changed without metadata", without(meta, "/content/sdp_stream_metadata"),
       "content.sdp_stream_metadata", "missing"},
      {"candidates not an array", with(candidates, "/content/candidates", json::object()), "content.candidates",
       "expected an array, got an object"},
      {"candidates missing", without(candidates, "/content/candidates"), "content.candidates", "missing"},
      {"candidate without candidate", without(candidates, "/content/candidates/0/candidate"),
       "content.candidates[0].candidate", "missing"},
      {"sdpMid a number", with(candidates, "/content/candidates/0/sdpMid", 0), "content.candidates[0].sdpMid",
       "expected a string, got a number"},
      {"sdpMLineIndex a string", with(candidates, "/content/candidates/0/sdpMLineIndex", "0"),
       "content.candidates[0].sdpMLineIndex", "expected a number"},
      {"select_answer without selected_party_id", without(select, "/content/selected_party_id"),
       "content.selected_party_id", "missing"},
      {"negotiate without description", without(negotiate, "/content/description"), "content.description", "missing"},
      {"negotiate without lifetime", without(negotiate, "/content/lifetime"), "content.lifetime", "missing"},
      {"content missing", without(hangup, "/content"), "content", "missing"},
      {"content an array", with(hangup, "/content", json::array()), "content", "expected an object, got an array"},
      {"sender missing", without(hangup, "/sender"), "sender", "missing"},
      {"sender a number", with(hangup, "/sender", 1), "sender", "expected a string"},
      {"type missing", without(hangup, "/type"), "type", "missing"},
      {"type a number", with(hangup, "/type", 1), "type", "expected a string"},
      {"age a string", with(hangup, "/unsigned/age", "5"), "unsigned.age", "expected an integer"},
      {"replaces with both calls",
       with(room_event("m.call.replaces",
                       common({{"replacement_id", "r"}, {"target_user", {{"id", "@c:d"}}}, {"create_call", "x"}})),
            "/content/await_call", "y"),
       "content.create_call", "both set"},
      {"replaces without target_user",
       room_event("m.call.replaces", common({{"replacement_id", "r"}, {"create_call", "x"}})), "content.target_user",
       "missing"},
      {"asserted identity missing", room_event("m.call.asserted_identity", common()), "content.asserted_identity",
       "missing"},
  };
}

TEST(ReaderErrors, NameTheFieldAndSayWhatIsWrong) {
  EventReader reader;
  for (const Case& c : cases()) {
    ReadResult r = test::read(reader, c.event);
    ASSERT_EQ(r.status, ReadStatus::invalid) << c.name;
    EXPECT_EQ(r.error.field, c.field) << c.name << ": " << r.error.to_string();
    EXPECT_NE(r.error.reason.find(c.reason_contains), std::string::npos) << c.name << ": " << r.error.to_string();
  }
}

ReadResult read_text(EventReader& reader, std::string_view text) { return reader.read_event(text); }

TEST(ReaderErrors, RejectsTextThatIsNotOneJsonObject) {
  EventReader reader;
  struct TextCase {
    std::string text;
    const char* reason_contains;
  };
  const std::string good = room_event("m.call.hangup", common()).dump();
  for (const TextCase& c : std::vector<TextCase>{
           {"", "not valid JSON"},
           {"hello", "not valid JSON"},
           {"[]", "expected an object, got an array"},
           {"42", "expected an object, got a number"},
           {good + " {}", "not valid JSON"},
           {good.substr(0, good.size() - 1), "not valid JSON"},
           {R"({"type":"m.call.hangup","sender":"@a:b","content":{"call_id":"c","x":[1,,2]}})", "not valid JSON"},
           {R"({"type":"m.call.hangup","sender":"@a:b","content":{"call_id":"c\x"}})", "not a valid JSON string"},
           {"nul", "not valid JSON"},
           {"\"just a string\"", "expected an object, got a string"},
           {"null", "expected an object, got null"},
           {"{\"type\":\"m.call.hangup\",\"sender\":\"@a:b\",\"content\":{\"call_id\":\"\xc3\x28\"}}", "invalid UTF-8"},
           {"{\"type\":\"m.call.hangup\",\"sender\":\"@a:b\",\"content\":{\"call_id\":\"\xed\xa0\x80\"}}",
            "invalid UTF-8"},  // an encoded surrogate
           {R"({"type":"m.call.hangup","type":"m.call.invite","sender":"@a:b","content":{"call_id":"c"}})",
            "given twice"},
           {R"({"type":"m.call.hangup","sender":"@a:b","content":{"call_id":"c","version":1e999}})", "number"},
       }) {
    ReadResult r = read_text(reader, c.text);
    EXPECT_EQ(r.status, ReadStatus::invalid) << c.text;
    EXPECT_NE(r.error.reason.find(c.reason_contains), std::string::npos) << c.text << " -> " << r.error.to_string();
  }
}

TEST(ReaderErrors, BoundsNestingDepth) {
  EventReader reader;
  std::string deep(100000, '[');
  deep += std::string(100000, ']');
  std::string text = R"({"type":"m.call.hangup","sender":"@a:b","content":{"call_id":"c","x":)" + deep + "}}";
  ReadResult r = read_text(reader, text);
  ASSERT_EQ(r.status, ReadStatus::invalid);
  EXPECT_NE(r.error.reason.find("nested deeper than 64"), std::string::npos) << r.error.to_string();
  // The same depth in a skipped, non-call event is refused too: the reader checks every byte it is given.
  text = R"({"type":"m.room.message","content":{"x":)" + deep + "}}";
  EXPECT_EQ(read_text(reader, text).status, ReadStatus::invalid);
}

TEST(ReaderErrors, BoundsDocumentSize) {
  EventReader reader(ReadLimits{.max_event_bytes = 4096, .max_batch_bytes = 8192, .max_depth = 64});
  std::string sdp(5000, 'a');
  ReadResult r = test::read(reader, room_event("m.call.invite", with(test::invite_content(), "/offer/sdp", sdp)));
  ASSERT_EQ(r.status, ReadStatus::invalid);
  EXPECT_EQ(r.error.field, "document");
  EXPECT_NE(r.error.reason.find("over the 4096-byte limit"), std::string::npos);
  std::vector<ReadResult> out;
  auto batch_error = reader.read_events(std::string(9000, ' ') + "[]", "", out);
  ASSERT_TRUE(batch_error);
  EXPECT_NE(batch_error->reason.find("over the 8192-byte limit"), std::string::npos);
}

TEST(ReaderErrors, BatchErrorsAreReportedNotThrown) {
  EventReader reader;
  std::vector<ReadResult> out;
  EXPECT_TRUE(reader.read_events("{}", "", out));
  EXPECT_TRUE(reader.read_events("[1, 2", "", out));
  EXPECT_TRUE(reader.read_events("[] []", "", out));
  out.clear();
  ASSERT_FALSE(reader.read_events("[1, \"x\"]", "", out));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].error.reason, "expected an object, got a number");
}

// Random damage to valid events: the reader must never crash, hang or read out of bounds (ASan runs this too), and
// whatever it accepts must still be one of the call types with a non-empty call_id.
TEST(ReaderErrors, SurvivesRandomDamage) {
  std::mt19937 rng(20261126);
  std::vector<std::string> seeds = {
      room_event("m.call.invite", test::invite_content()).dump(),
      room_event("m.call.candidates", test::candidates_content()).dump(),
      room_event("m.call.hangup", common({{"reason", "user_hangup"}})).dump(),
      room_event("m.call.sdp_stream_metadata_changed",
                 common({{"sdp_stream_metadata", {{"s", {{"purpose", "m.usermedia"}}}}}}))
          .dump(),
  };
  EventReader reader;
  const std::string alphabet = "{}[]\",:\\0123456789.-+eEtrufalsn \x80\xc3\xff\x01";
  for (int i = 0; i < 20000; ++i) {
    std::string text = seeds[rng() % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      std::size_t at = rng() % text.size();
      switch (rng() % 3) {
        case 0: text[at] = alphabet[rng() % alphabet.size()]; break;
        case 1: text.erase(at, 1 + rng() % 8); break;
        default: text.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
      }
    }
    ReadResult r = reader.read_event(text);
    if (r.status == ReadStatus::call_event) {
      EXPECT_FALSE(common_of(r.event.content).call_id.empty()) << text;
    } else if (r.status == ReadStatus::invalid) {
      EXPECT_FALSE(r.error.field.empty()) << text;
      EXPECT_FALSE(r.error.reason.empty()) << text;
    }
  }
}

}  // namespace
}  // namespace mxcall::protocol
