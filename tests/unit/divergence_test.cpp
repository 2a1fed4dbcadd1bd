// How other implementations diverge from the spec (digest sections 8 and 9, implementations note section 5), and
// what we read from each: accepted leniently, while --strict (the sending rules) names what a conformant sender
// would have done differently.
#include <gtest/gtest.h>

#include "mxcall/protocol/event_reader.hpp"
#include "mxcall/protocol/send_rules.hpp"
#include "test_events.hpp"

namespace mxcall::protocol {
namespace {

using nlohmann::json;
using test::common;
using test::room_event;

class DivergenceTest : public ::testing::Test {
 protected:
  // Reads leniently (must succeed) and returns the first strict-mode complaint, or "" when there is none.
  std::string strict_complaint(const json& event) {
    result_ = test::read(reader_, event);
    EXPECT_EQ(result_.status, ReadStatus::call_event) << event.dump() << " -> " << result_.error.to_string();
    if (result_.leniency) return result_.leniency->to_string();
    auto error = check_send_rules(result_.event.content);
    return error ? error->to_string() : "";
  }
  const CallCommon& common_read() { return common_of(result_.event.content); }

  EventReader reader_;
  ReadResult result_;
};

json hangup_with_version(json version) {
  json c = common({{"reason", "user_hangup"}});
  if (version.is_discarded()) {
    c.erase("version");
  } else {
    c["version"] = version;
  }
  return room_event("m.call.hangup", c);
}

TEST_F(DivergenceTest, NumericZeroIsV0) {  // rule 2
  for (json zero : {json(0), json(-0), json(0.0)}) {
    EXPECT_NE(strict_complaint(hangup_with_version(zero)), "");
    EXPECT_TRUE(common_read().version.is_v0()) << zero.dump();
  }
}

TEST_F(DivergenceTest, NumericOneFromElementWeb2022IsV1) {  // rule 3, element-web#22629, mautrix-go
  EXPECT_EQ(strict_complaint(hangup_with_version(1)),
            "content.version: is the number 1; send the string \"1\" (rule 1)");
  EXPECT_TRUE(common_read().version.is_v1());
  EXPECT_EQ(common_read().version.form, Version::Form::number);
}

TEST_F(DivergenceTest, EveryOtherVersionIsV1) {  // rule 3 and digest 8.2 ("0" and absent are literally "other")
  for (json v : {json("1"), json("2"), json("1.5-exp"), json("0"), json(2), json(nullptr)}) {
    strict_complaint(hangup_with_version(v));
    EXPECT_TRUE(common_read().version.is_v1()) << v.dump();
  }
  EXPECT_EQ(strict_complaint(hangup_with_version("1")), "");
  EXPECT_EQ(strict_complaint(hangup_with_version("0")), "content.version: is \"0\"; this is VoIP version \"1\"");
}

TEST_F(DivergenceTest, NegotiateWithoutVersionFromMtxclientIsV1) {  // digest 9
  json content = common({{"description", {{"type", "offer"}, {"sdp", "v=0"}}}, {"lifetime", 10000}});
  content.erase("version");
  EXPECT_EQ(strict_complaint(room_event("m.call.negotiate", content)),
            "content.version: missing (rule 1: send the string \"1\")");
  EXPECT_TRUE(common_read().version.is_v1());
  EXPECT_EQ(common_read().version.form, Version::Form::absent);
}

TEST_F(DivergenceTest, V0InviteWithoutPartyId) {  // rule 2, digest 2
  json content = test::invite_content();
  content.erase("party_id");
  content.erase("invitee");
  content["version"] = 0;
  EXPECT_EQ(strict_complaint(room_event("m.call.invite", content)),
            "content.party_id: missing (rule 10: every event carries the sender's party_id)");
  EXPECT_FALSE(common_read().party_id);
  EXPECT_TRUE(common_read().version.is_v0());
}

TEST_F(DivergenceTest, EmptyInviteeFromMtxclientReadsAsAbsent) {  // implementations 5.10
  json content = test::invite_content();
  content["invitee"] = "";
  EXPECT_EQ(strict_complaint(room_event("m.call.invite", content)),
            "content.invitee: an empty string (a sender leaves the field out instead)");
  EXPECT_FALSE(std::get<Invite>(result_.event.content).invitee);
}

TEST_F(DivergenceTest, CamelCaseUserHangupFromDartSdkIsKeptVerbatim) {  // implementations 5.7
  json event = room_event("m.call.hangup", common({{"reason", "userHangup"}}));
  EXPECT_EQ(strict_complaint(event), "content.reason: is \"userHangup\", not one of the spec's hangup reasons");
  const auto& h = std::get<Hangup>(result_.event.content);
  EXPECT_EQ(h.reason(), HangupReason::other);
  EXPECT_EQ(h.reason_text, "userHangup");
}

TEST_F(DivergenceTest, JsSdkReasonsAreUnderstoodButNotSpec) {  // digest 3.8
  struct {
    const char* text;
    HangupReason reason;
  } cases[] = {{"replaced", HangupReason::replaced},
               {"answered_elsewhere", HangupReason::answered_elsewhere},
               {"signalling_timeout", HangupReason::other},
               {"keep_alive_timeout", HangupReason::other}};
  for (const auto& c : cases) {
    EXPECT_NE(strict_complaint(room_event("m.call.hangup", common({{"reason", c.text}}))), "");
    EXPECT_EQ(std::get<Hangup>(result_.event.content).reason(), c.reason) << c.text;
    EXPECT_EQ(std::get<Hangup>(result_.event.content).reason_text, c.text);
  }
}

TEST_F(DivergenceTest, MissingHangupReasonIsUserHangup) {  // rule 49
  EXPECT_EQ(strict_complaint(room_event("m.call.hangup", common())),
            "content.reason: missing (rule 49: v1 senders send it, user_hangup included)");
  const auto& h = std::get<Hangup>(result_.event.content);
  EXPECT_EQ(h.reason(), HangupReason::user_hangup);
  EXPECT_FALSE(h.reason_present);
}

TEST_F(DivergenceTest, AudioMutedTypoInTheSpecExampleIsAnUnknownKey) {  // digest 7.5
  json content =
      common({{"sdp_stream_metadata",
               {{"2311546231", {{"purpose", "m.usermedia"}, {"audio_muted:", true}, {"video_muted", true}}}}}});
  EXPECT_EQ(strict_complaint(room_event("m.call.sdp_stream_metadata_changed", content)), "");
  const auto& meta = std::get<SdpStreamMetadataChanged>(result_.event.content).sdp_stream_metadata;
  ASSERT_EQ(meta.size(), 1u);
  EXPECT_FALSE(meta[0].second.audio_muted);  // the key with the colon is not audio_muted
  EXPECT_TRUE(meta[0].second.video_muted);
}

TEST_F(DivergenceTest, IdsOutsideTheGrammarAreAcceptedOnReceive) {  // rule 8 vs pitfall 16 (dart-sdk, Nheko)
  json content = common({{"reason", "user_hangup"}});
  content["party_id"] = "q3+/xY==";
  content["call_id"] = "c1700000000000";
  EXPECT_EQ(strict_complaint(room_event("m.call.hangup", content)),
            "content.party_id: must be 1-255 characters of [0-9A-Za-z._~-] (rule 8)");
  EXPECT_EQ(common_read().party_id, "q3+/xY==");
}

TEST_F(DivergenceTest, EmptySdpMidFromNhekoReadsAsAbsent) {  // pitfall 2
  json content = test::candidates_content();
  content["candidates"][0]["sdpMid"] = "";
  EXPECT_EQ(strict_complaint(room_event("m.call.candidates", content)),
            "content.candidates[0].sdpMid: an empty string (a sender leaves the field out instead)");
  const auto& c = std::get<Candidates>(result_.event.content);
  EXPECT_FALSE(c.candidates[0].sdp_mid);
  EXPECT_EQ(c.candidates[0].sdp_mline_index, 0u);
}

TEST_F(DivergenceTest, UninitialisedIndexFromMtxclientDoesNotCostTheEvent) {  // implementations 1 (MTX)
  json content = test::candidates_content();
  content["candidates"][0]["sdpMLineIndex"] = 4294967295u;
  EXPECT_NE(strict_complaint(room_event("m.call.candidates", content)), "");
  const auto& c = std::get<Candidates>(result_.event.content);
  EXPECT_FALSE(c.candidates[0].sdp_mline_index);
  EXPECT_EQ(c.candidates[0].sdp_mid, "0");
}

TEST_F(DivergenceTest, IndexWrittenAsAFloatIsANumber) {  // digest 8.10: the schema type is `number`
  json content = test::candidates_content();
  content["candidates"][0]["sdpMLineIndex"] = 1.0;
  strict_complaint(room_event("m.call.candidates", content));
  EXPECT_EQ(std::get<Candidates>(result_.event.content).candidates[0].sdp_mline_index, 1u);
}

TEST_F(DivergenceTest, EndOfCandidatesWithoutMidOrIndexIsConformant) {  // rule 34's exception
  json content = common({{"candidates", {{{"candidate", ""}}}}});
  EXPECT_EQ(strict_complaint(room_event("m.call.candidates", content)), "");
  EXPECT_TRUE(std::get<Candidates>(result_.event.content).candidates[0].is_end_of_candidates());
}

TEST_F(DivergenceTest, CandidateWithNeitherMidNorIndexIsReadButNotConformant) {  // rule 34
  json content = common({{"candidates", {{{"candidate", "candidate:1 1 UDP 1 127.0.0.1 9 typ host"}}}}});
  EXPECT_EQ(strict_complaint(room_event("m.call.candidates", content)),
            "content.candidates[0]: has neither sdpMid nor sdpMLineIndex (rule 34)");
}

TEST_F(DivergenceTest, UnstableMetadataKeyAloneFromMautrixGo) {  // implementations 5.12
  json content = test::invite_content();
  content["org.matrix.msc3077.sdp_stream_metadata"] = {{"s", {{"purpose", "m.usermedia"}}}};
  EXPECT_EQ(strict_complaint(room_event("m.call.invite", content)), "");
  const auto& invite = std::get<Invite>(result_.event.content);
  ASSERT_TRUE(invite.sdp_stream_metadata);
  EXPECT_EQ((*invite.sdp_stream_metadata)[0].first, "s");
}

TEST_F(DivergenceTest, StableMetadataKeyWinsOverTheUnstableOne) {
  json content = test::invite_content();
  content["org.matrix.msc3077.sdp_stream_metadata"] = {{"old", {{"purpose", "m.usermedia"}}}};
  content["sdp_stream_metadata"] = {{"new", {{"purpose", "m.screenshare"}}}};
  strict_complaint(room_event("m.call.invite", content));
  EXPECT_EQ((*std::get<Invite>(result_.event.content).sdp_stream_metadata)[0].first, "new");
}

TEST_F(DivergenceTest, RejectWithAReasonFromJsSdkTypes) {  // digest 3.5; busy is the one we write (rule 50)
  EXPECT_EQ(strict_complaint(room_event("m.call.reject", common({{"reason", "declined"}}))),
            "content.reason: m.call.reject carries no reason but user_busy (digest 3.5, rule 50)");
  EXPECT_EQ(std::get<Reject>(result_.event.content).reason, "declined");
  EXPECT_EQ(strict_complaint(room_event("m.call.reject", common({{"reason", "user_busy"}}))), "");
  EXPECT_EQ(std::get<Reject>(result_.event.content).reason, "user_busy");
}

TEST_F(DivergenceTest, CapabilitiesOtherThanTrueMeanNotSupported) {  // digest 3.10
  json content = test::invite_content();
  content["capabilities"] = {{"m.call.transferee", "yes"}, {"m.call.dtmf", 1}, {"m.call.other", true}};
  strict_complaint(room_event("m.call.invite", content));
  EXPECT_EQ(std::get<Invite>(result_.event.content).capabilities, (Capabilities{false, false}));
  content["capabilities"] = "all";
  strict_complaint(room_event("m.call.invite", content));
  EXPECT_FALSE(std::get<Invite>(result_.event.content).capabilities);
}

TEST_F(DivergenceTest, LifetimeWrittenAsAFloat) {
  json content = test::invite_content();
  content["lifetime"] = 6e4;
  EXPECT_EQ(strict_complaint(room_event("m.call.invite", content)),
            "content.lifetime: a floating-point number (the schema says integer)");
  EXPECT_EQ(std::get<Invite>(result_.event.content).lifetime_ms, 60000u);
}

TEST_F(DivergenceTest, NullWhereAFieldIsMeantAbsent) {  // js-sdk v0 peers: null vs undefined party id
  json content = common({{"reason", "user_hangup"}});
  content["party_id"] = nullptr;
  EXPECT_NE(strict_complaint(room_event("m.call.hangup", content)), "");
  EXPECT_FALSE(common_read().party_id);
}

TEST_F(DivergenceTest, OfferTypeIsNotValidatedOnReceipt) {  // rule 16
  json content = test::invite_content();
  content["offer"].erase("type");
  EXPECT_EQ(strict_complaint(room_event("m.call.invite", content)),
            "content.offer.type: missing (must be \"offer\", rule 16)");
  content["offer"]["type"] = "pranswer";
  EXPECT_EQ(strict_complaint(room_event("m.call.invite", content)),
            "content.offer.type: is \"pranswer\", must be \"offer\"");
}

TEST_F(DivergenceTest, InviteeMustBeAUserIdWhenSending) {  // v1.19: invitee is mx-user-id
  json content = test::invite_content();
  content["invitee"] = "bob";
  EXPECT_EQ(strict_complaint(room_event("m.call.invite", content)),
            "content.invitee: is not a Matrix user id (@user:server)");
}

}  // namespace
}  // namespace mxcall::protocol
