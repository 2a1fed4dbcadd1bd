// Strict writing: version "1" as a string, our party_id, a reason on every hangup, real
// sdpMid/sdpMLineIndex, both metadata keys, and never an empty string for an absent value.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "mxcall/protocol/event_writer.hpp"

namespace mxcall::protocol {
namespace {

using nlohmann::json;

CallCommon ours(std::string_view call_id = "call1") { return CallCommon{call_id, "partyA", Version::v1()}; }

json written(const CallContent& content) {
  std::string out;
  auto error = write_content(content, out);
  EXPECT_FALSE(error) << error->to_string();
  return error ? json() : json::parse(out);
}

std::string refusal(const CallContent& content) {
  std::string out = "untouched";
  auto error = write_content(content, out);
  EXPECT_TRUE(out.empty()) << "a refused content must leave nothing to send";
  return error ? error->to_string() : "";
}

TEST(EventWriter, AlwaysWritesVersionOneAsAString) {
  Hangup hangup{ours(), "user_hangup", true};
  hangup.common.version = Version::v0();  // whatever the content says, we speak v1
  json j = written(hangup);
  EXPECT_EQ(j["version"], "1");
  EXPECT_EQ(j["party_id"], "partyA");
  EXPECT_EQ(j["reason"], "user_hangup");
}

TEST(EventWriter, WritesAnInviteWithBothMetadataKeysAndCapabilities) {
  Invite invite{ours(),
                {"offer", "v=0\r\n"},
                90000,
                "@bob:example.org",
                StreamMetadataMap{{"stream1", {"m.usermedia", false, true}}},
                Capabilities{true, false}};
  json j = written(invite);
  EXPECT_EQ(j["offer"], json({{"type", "offer"}, {"sdp", "v=0\r\n"}}));
  EXPECT_EQ(j["lifetime"], 90000);
  EXPECT_EQ(j["invitee"], "@bob:example.org");
  json meta = {{"stream1", {{"purpose", "m.usermedia"}, {"audio_muted", false}, {"video_muted", true}}}};
  EXPECT_EQ(j["sdp_stream_metadata"], meta);
  EXPECT_EQ(j["org.matrix.msc3077.sdp_stream_metadata"], meta);
  EXPECT_EQ(j["capabilities"], json({{"m.call.transferee", true}, {"m.call.dtmf", false}}));
}

TEST(EventWriter, LeavesAbsentValuesOut) {
  Invite invite{ours(), {"offer", "v=0"}, 60000, std::nullopt, std::nullopt, std::nullopt};
  json j = written(invite);
  EXPECT_FALSE(j.contains("invitee"));
  EXPECT_FALSE(j.contains("sdp_stream_metadata"));
  EXPECT_FALSE(j.contains("capabilities"));
  Reject reject{ours(), std::nullopt};
  EXPECT_EQ(written(reject), json({{"call_id", "call1"}, {"party_id", "partyA"}, {"version", "1"}}));
}

TEST(EventWriter, WritesCandidatesWithMidIndexAndTheEndMarker) {
  Candidates c{ours(), {{"candidate:1 1 UDP 1 127.0.0.1 9 typ host", "0", 0u}, {"", std::nullopt, std::nullopt}}};
  json j = written(c);
  EXPECT_EQ(j["candidates"], json::parse(R"([{"candidate":"candidate:1 1 UDP 1 127.0.0.1 9 typ host","sdpMid":"0",)"
                                         R"("sdpMLineIndex":0},{"candidate":""}])"));
}

TEST(EventWriter, RefusesWhatAConformantSenderMustNotSend) {
  EXPECT_EQ(refusal(Hangup{CallCommon{"call1", std::nullopt, {}}, "user_hangup", true}),
            "content.party_id: missing (rule 10: every event carries the sender's party_id)");
  EXPECT_EQ(refusal(Hangup{ours(), "user_hangup", false}),
            "content.reason: missing (rule 49: v1 senders send it, user_hangup included)");
  EXPECT_EQ(refusal(Hangup{ours(), "replaced", true}),
            "content.reason: is \"replaced\", not one of the spec's hangup reasons");
  EXPECT_EQ(refusal(Hangup{ours("bad id"), "user_hangup", true}),
            "content.call_id: must be 1-255 characters of [0-9A-Za-z._~-] (rule 8)");
  EXPECT_EQ(refusal(Candidates{ours(), {{"candidate:1", "", 0u}}}),
            "content.candidates[0].sdpMid: empty; leave it out instead");
  EXPECT_EQ(refusal(Candidates{ours(), {}}), "content.candidates: empty (send one or more candidates)");
  EXPECT_EQ(refusal(Invite{ours(), {"offer", "v=0"}, 1, "", std::nullopt, std::nullopt}),
            "content.invitee: is not a Matrix user id (@user:server)");
  EXPECT_EQ(refusal(Answer{ours(), {"offer", "v=0"}, std::nullopt, std::nullopt}),
            "content.answer.type: is \"offer\", must be \"answer\"");
  EXPECT_EQ(refusal(Negotiate{ours(), {"answer", ""}, 1, std::nullopt, std::nullopt}),
            "content.description.sdp: empty");
  EXPECT_EQ(refusal(Reject{ours(), "declined"}),
            "content.reason: m.call.reject carries no reason but user_busy (digest 3.5, rule 50)");
  EXPECT_EQ(refusal(SdpStreamMetadataChanged{ours(), {{"s", {"m.camera", false, false}}}}),
            "content.sdp_stream_metadata.s.purpose: is \"m.camera\", must be m.usermedia or m.screenshare");
}

TEST(EventWriter, RefusesInvalidUtf8) {
  std::string bad_sdp = "v=0\r\n\xc3\x28";
  EXPECT_EQ(refusal(Invite{ours(), {"offer", bad_sdp}, 1, std::nullopt, std::nullopt, std::nullopt}),
            "content.offer.sdp: is not valid UTF-8");
}

TEST(EventWriter, EscapesEveryControlCharacterQuoteAndBackslash) {
  std::string sdp;
  for (int c = 1; c < 0x20; ++c) sdp.push_back(static_cast<char>(c));
  sdp += "\"\\/\x7f\xc3\xa9";
  std::string out;
  ASSERT_FALSE(write_content(Negotiate{ours(), {"offer", sdp}, 1000, std::nullopt, std::nullopt}, out));
  for (char c : out) EXPECT_GE(static_cast<unsigned char>(c), 0x20) << "raw control byte in " << out;
  EXPECT_EQ(json::parse(out)["description"]["sdp"], sdp);
}

TEST(EventWriter, WritesTransferAndIdentityEvents) {
  Replaces r{ours(), "rep1", std::nullopt, {"@carol:example.org", "Carol", std::nullopt}, "newcall", std::nullopt};
  json j = written(r);
  EXPECT_EQ(j["target_user"], json({{"id", "@carol:example.org"}, {"display_name", "Carol"}}));
  EXPECT_EQ(j["create_call"], "newcall");
  EXPECT_FALSE(j.contains("await_call"));
  EXPECT_EQ(refusal(Replaces{ours(), "rep1", std::nullopt, {"@c:d", {}, {}}, "a", "b"}),
            "content.create_call: exactly one of create_call and await_call must be set");
  EXPECT_EQ(written(AssertedIdentity{ours(), std::nullopt})["asserted_identity"], nullptr);
  EXPECT_EQ(refusal(RejectReplacement{ours(), "rep1", "declined", "ice_failed"}),
            "content.call_failure_reason: only goes with reason failed_call");
}

// Empty strings the strict writer must refuse: each guard was found unguarded by scripts/mutate.sh.
TEST(EventWriter, RefusesEmptyIdsInMetadataAndTransfers) {
  EXPECT_EQ(refusal(SdpStreamMetadataChanged{ours(), {{"", {"m.usermedia", false, false}}}}),
            "content.sdp_stream_metadata: has an empty stream id");
  EXPECT_EQ(refusal(Replaces{ours(), "", std::nullopt, {"@c:d", {}, {}}, "newcall", std::nullopt}),
            "content.replacement_id: empty");
  EXPECT_EQ(refusal(Replaces{ours(), "rep1", "", {"@c:d", {}, {}}, "newcall", std::nullopt}),
            "content.target_room: empty; leave it out instead");
  EXPECT_EQ(refusal(RejectReplacement{ours(), "", "declined", std::nullopt}), "content.replacement_id: empty");
}

TEST(EventWriter, WritesAWholeRoomEventUnderTheStableTypeName) {
  RoomEvent event{"org.matrix.call.sdp_stream_metadata_changed",
                  "@a:b",
                  "!r:b",
                  "$e",
                  5,
                  6,
                  SdpStreamMetadataChanged{ours(), {{"s", {"m.usermedia", true, false}}}}};
  std::string out;
  ASSERT_FALSE(write_room_event(event, out));
  json j = json::parse(out);
  EXPECT_EQ(j["type"], "m.call.sdp_stream_metadata_changed");
  EXPECT_EQ(j["unsigned"]["age"], 6);
  EXPECT_EQ(j["origin_server_ts"], 5);
}

}  // namespace
}  // namespace mxcall::protocol
