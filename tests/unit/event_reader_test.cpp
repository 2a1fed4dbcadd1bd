// Reading every call event type, the envelope, and the exact type list (digest sections 2, 3).
#include <gtest/gtest.h>

#include "mxcall/protocol/event_reader.hpp"
#include "test_events.hpp"

namespace mxcall::protocol {
namespace {

using nlohmann::json;
using test::common;
using test::room_event;

class EventReaderTest : public ::testing::Test {
 protected:
  ReadResult read(const json& event) { return test::read(reader_, event); }

  template <typename T>
  const T& read_as(const json& event) {
    last_ = read(event);
    EXPECT_EQ(last_.status, ReadStatus::call_event) << last_.error.to_string();
    EXPECT_TRUE(std::holds_alternative<T>(last_.event.content));
    static const T empty{};
    return std::holds_alternative<T>(last_.event.content) ? std::get<T>(last_.event.content) : empty;
  }

  EventReader reader_;
  ReadResult last_;
};

TEST_F(EventReaderTest, ReadsTheEnvelope) {
  const auto& invite = read_as<Invite>(room_event("m.call.invite", test::invite_content()));
  EXPECT_EQ(last_.event.type, "m.call.invite");
  EXPECT_EQ(last_.event.sender, "@alice:example.org");
  EXPECT_EQ(last_.event.room_id, "!room:example.org");
  EXPECT_EQ(last_.event.event_id, "$event1");
  EXPECT_EQ(last_.event.origin_server_ts, 1700000000000);
  EXPECT_EQ(last_.event.age_ms, 1234);
  EXPECT_EQ(invite.common.call_id, "call1");
}

TEST_F(EventReaderTest, ReadsAnInvite) {
  json content = test::invite_content();
  content["sdp_stream_metadata"] = {{"s1", {{"purpose", "m.usermedia"}, {"audio_muted", true}}}};
  content["capabilities"] = {{"m.call.transferee", true}, {"m.call.dtmf", false}};
  const auto& invite = read_as<Invite>(room_event("m.call.invite", content));
  EXPECT_EQ(invite.common.party_id, "partyA");
  EXPECT_TRUE(invite.common.version.is_v1());
  EXPECT_EQ(invite.offer.type, "offer");
  EXPECT_EQ(invite.offer.sdp, "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n");
  EXPECT_EQ(invite.lifetime_ms, 90000u);
  EXPECT_EQ(invite.invitee, "@bob:example.org");
  ASSERT_TRUE(invite.sdp_stream_metadata);
  ASSERT_EQ(invite.sdp_stream_metadata->size(), 1u);
  EXPECT_EQ((*invite.sdp_stream_metadata)[0].first, "s1");
  EXPECT_EQ((*invite.sdp_stream_metadata)[0].second, (StreamMetadata{"m.usermedia", true, false}));
  ASSERT_TRUE(invite.capabilities);
  EXPECT_TRUE(invite.capabilities->transferee);
  EXPECT_FALSE(invite.capabilities->dtmf);
}

TEST_F(EventReaderTest, ReadsCandidatesWithTheEndMarker) {
  const auto& c = read_as<Candidates>(room_event("m.call.candidates", test::candidates_content()));
  ASSERT_EQ(c.candidates.size(), 2u);
  EXPECT_EQ(c.candidates[0].sdp_mid, "0");
  EXPECT_EQ(c.candidates[0].sdp_mline_index, 0u);
  EXPECT_FALSE(c.candidates[0].is_end_of_candidates());
  EXPECT_TRUE(c.candidates[1].is_end_of_candidates());  // rule 32
  EXPECT_FALSE(c.candidates[1].sdp_mid);
  EXPECT_FALSE(c.candidates[1].sdp_mline_index);
}

TEST_F(EventReaderTest, ReadsAnAnswerSelectAnswerAndReject) {
  const auto& answer =
      read_as<Answer>(room_event("m.call.answer", common({{"answer", {{"type", "answer"}, {"sdp", "v=0\r\n"}}}})));
  EXPECT_EQ(answer.answer.type, "answer");
  EXPECT_FALSE(answer.sdp_stream_metadata);
  const auto& select =
      read_as<SelectAnswer>(room_event("m.call.select_answer", common({{"selected_party_id", "partyB"}})));
  EXPECT_EQ(select.selected_party_id, "partyB");
  const auto& reject = read_as<Reject>(room_event("m.call.reject", common()));
  EXPECT_FALSE(reject.reason);
}

TEST_F(EventReaderTest, ReadsANegotiate) {
  const auto& n = read_as<Negotiate>(room_event(
      "m.call.negotiate", common({{"description", {{"type", "offer"}, {"sdp", "v=0\r\n"}}}, {"lifetime", 10000}})));
  EXPECT_EQ(n.description.type, "offer");
  EXPECT_EQ(n.lifetime_ms, 10000u);
}

TEST_F(EventReaderTest, ReadsMetadataChangedUnderBothTypeNames) {
  json content = common({{"sdp_stream_metadata", {{"s1", {{"purpose", "m.usermedia"}, {"video_muted", true}}}}}});
  for (const char* type : {"m.call.sdp_stream_metadata_changed", "org.matrix.call.sdp_stream_metadata_changed"}) {
    const auto& m = read_as<SdpStreamMetadataChanged>(room_event(type, content));
    ASSERT_EQ(m.sdp_stream_metadata.size(), 1u);
    EXPECT_TRUE(m.sdp_stream_metadata[0].second.video_muted);
    EXPECT_EQ(last_.event.type, type);
  }
}

TEST_F(EventReaderTest, ReadsAHangupWithItsReason) {
  const auto& h = read_as<Hangup>(room_event("m.call.hangup", common({{"reason", "ice_failed"}})));
  EXPECT_EQ(h.reason(), HangupReason::ice_failed);
  EXPECT_TRUE(h.reason_present);
}

TEST_F(EventReaderTest, ReadsTransferEvents) {
  const auto& r = read_as<Replaces>(
      room_event("m.call.replaces", common({{"replacement_id", "rep1"},
                                            {"target_user", {{"id", "@carol:example.org"}, {"display_name", "Carol"}}},
                                            {"create_call", "newcall"}})));
  EXPECT_EQ(r.replacement_id, "rep1");
  EXPECT_EQ(r.target_user.id, "@carol:example.org");
  EXPECT_EQ(r.target_user.display_name, "Carol");
  EXPECT_EQ(r.create_call, "newcall");
  EXPECT_FALSE(r.await_call);
  const auto& rr = read_as<RejectReplacement>(room_event(
      "m.call.reject_replacement",
      common({{"replacement_id", "rep1"}, {"reason", "failed_call"}, {"call_failure_reason", "ice_failed"}})));
  EXPECT_EQ(rr.reason, "failed_call");
  EXPECT_EQ(rr.call_failure_reason, "ice_failed");
}

TEST_F(EventReaderTest, ReadsAssertedIdentityUnderBothNamesAndNullAsRevert) {
  const auto& a = read_as<AssertedIdentity>(
      room_event("org.matrix.call.asserted_identity",
                 common({{"asserted_identity", {{"id", "@pbx:x"}, {"display_name", "PBX"}}}})));
  ASSERT_TRUE(a.asserted_identity);
  EXPECT_EQ(a.asserted_identity->display_name, "PBX");
  EXPECT_FALSE(a.asserted_identity->avatar_url);
  EXPECT_FALSE(
      read_as<AssertedIdentity>(room_event("m.call.asserted_identity", common({{"asserted_identity", nullptr}})))
          .asserted_identity);
  EXPECT_FALSE(
      read_as<AssertedIdentity>(room_event("m.call.asserted_identity", common({{"asserted_identity", json::object()}})))
          .asserted_identity);  // A2: {} means revert too
}

TEST_F(EventReaderTest, DispatchesOnTheExactTypeListNeverOnThePrefix) {
  for (const char* type :
       {"m.call", "m.call.member", "m.call.notify", "m.call.intent", "m.call.candidate", "m.call.invite.extra",
        "m.room.message", "org.matrix.msc3077.call.sdp_stream_metadata", "M.CALL.INVITE"}) {
    ReadResult r = read(room_event(type, test::invite_content()));
    EXPECT_EQ(r.status, ReadStatus::not_call_event) << type;
    EXPECT_EQ(r.type, type);
  }
  EXPECT_EQ(kind_of_type("m.call.reject_replacement"), EventKind::reject_replacement);
  EXPECT_EQ(type_name(EventKind::sdp_stream_metadata_changed), "m.call.sdp_stream_metadata_changed");
}

TEST_F(EventReaderTest, FindsTheTypeAfterTheContent) {
  // /sync may order keys freely; the content cannot be read before the type is known.
  std::string text = R"({"content":{"call_id":"c","party_id":"p","version":"1","reason":"user_busy"},)"
                     R"("sender":"@a:b","type":"m.call.hangup"})";
  ReadResult r = reader_.read_event(text);
  ASSERT_EQ(r.status, ReadStatus::call_event) << r.error.to_string();
  EXPECT_EQ(std::get<Hangup>(r.event.content).reason(), HangupReason::user_busy);
}

TEST_F(EventReaderTest, UnescapesKeysAndValues) {
  std::string text = R"({"typ\u0065":"m.call.hangup","sender":"@a:b","content":)"
                     R"({"call\u005fid":"c\u00e9\ud83d\ude00","party_id":"p","version":"1"}})";
  ReadResult r = reader_.read_event(text);
  ASSERT_EQ(r.status, ReadStatus::call_event) << r.error.to_string();
  EXPECT_EQ(common_of(r.event.content).call_id, "c\xc3\xa9\xf0\x9f\x98\x80");
}

TEST_F(EventReaderTest, IgnoresUnknownKeysEverywhere) {
  json content = test::candidates_content();
  content["extra"] = {{"nested", {1, 2, {{"deep", true}}}}};
  content["candidates"][0]["usernameFragment"] = "abcd";
  content["conf_id"] = "group";  // MSC3401 to-device fields
  json event = room_event("m.call.candidates", content);
  event["unsigned"]["transaction_id"] = "m123";
  event["unsigned"]["m.relations"] = json::object();
  event["state_key"] = nullptr;
  const auto& c = read_as<Candidates>(event);
  EXPECT_EQ(c.candidates.size(), 2u);
}

TEST_F(EventReaderTest, FillsAMissingRoomIdFromTheBatch) {
  json a = room_event("m.call.hangup", common());
  a.erase("room_id");
  json b = room_event("m.room.message", {{"body", "hi"}});
  json bad = room_event("m.call.hangup", json::object());
  std::vector<ReadResult> out;
  auto error = reader_.read_events(json::array({a, b, bad, a}).dump(), "!sync:room", out);
  ASSERT_FALSE(error) << error->to_string();
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].status, ReadStatus::call_event);
  EXPECT_EQ(out[0].event.room_id, "!sync:room");
  EXPECT_EQ(out[1].status, ReadStatus::not_call_event);
  EXPECT_EQ(out[2].status, ReadStatus::invalid);
  EXPECT_EQ(out[2].error.field, "content.call_id");
  EXPECT_EQ(out[3].status, ReadStatus::call_event);  // one bad event does not cost the rest of the batch
}

TEST_F(EventReaderTest, KeepsEveryBatchEventValidAtOnce) {
  std::vector<json> events;
  for (int i = 0; i < 50; ++i) {
    json c = common({{"reason", "user_hangup"}});
    c["call_id"] = "call" + std::to_string(i);
    events.push_back(room_event("m.call.hangup", c));
  }
  std::vector<ReadResult> out;
  ASSERT_FALSE(reader_.read_events(json(events).dump(), "", out));
  ASSERT_EQ(out.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(common_of(out[i].event.content).call_id, "call" + std::to_string(i));
}

}  // namespace
}  // namespace mxcall::protocol
