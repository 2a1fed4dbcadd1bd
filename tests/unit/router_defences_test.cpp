// The router against a hostile room member: no answer without the user or a glare with the called user, bounded
// ringing and memory whatever the peer's lifetime and call count, and a keyed hash that changes where calls are
// stored, never what is output.
#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

#include "engine/keyed_hash.hpp"
#include "mxcall/protocol/router.hpp"

namespace mxcall::protocol {
namespace {

RoomEvent invite(std::string_view room, std::string_view sender, std::string_view call_id, std::uint64_t lifetime,
                 std::string_view event_id) {
  return RoomEvent{type_name(EventKind::invite),
                   sender,
                   room,
                   event_id,
                   1,
                   0,
                   Invite{CallCommon{call_id, "P", Version::v1()}, {"offer", "v=0"}, lifetime, std::nullopt, {}, {}}};
}

std::vector<ReadResult> batch_of(std::vector<RoomEvent> events) {
  std::vector<ReadResult> out;
  for (auto& e : events) {
    ReadResult& r = out.emplace_back();
    r.status = ReadStatus::call_event;
    r.type = e.type;
    r.event = std::move(e);
  }
  return out;
}

// `count` invites: call i from sender i % senders, in room i % rooms. The events point into `strings`.
struct Invites {
  std::deque<std::string> strings;
  std::vector<RoomEvent> events;
  Invites(int count, int senders, int rooms) {
    for (int i = 0; i < count; ++i) {
      const std::string& call_id = strings.emplace_back("call" + std::to_string(i));
      const std::string& sender = strings.emplace_back("@s" + std::to_string(i % senders) + ":x");
      const std::string& room = strings.emplace_back("!r" + std::to_string(i % rooms) + ":x");
      events.push_back(invite(room, sender, call_id, 60000, "$e"));
    }
  }
};

std::vector<Output> outputs_of(Router& router) { return router.take_outputs(); }

bool sent_answer(const std::vector<Output>& outputs) {
  for (const auto& o : outputs) {
    if (const auto* s = std::get_if<SendEvent>(&o); s != nullptr && s->kind == EventKind::answer) return true;
  }
  return false;
}

TEST(KeyedHash, SipHash24MatchesThePapersTestVector) {
  // SipHash paper, appendix A: key 00..0f, message 00..0e.
  engine::HashKey key{0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
  std::string message;
  for (char c = 0; c < 15; ++c) message += c;
  EXPECT_EQ((engine::SipHasher<2, 4>(key).add(message).finish()), 0xa129ca6149be45e5ull);
  // Fed in pieces, the same.
  EXPECT_EQ((engine::SipHasher<2, 4>(key)
                 .add(message.substr(0, 3))
                 .add(message.substr(3, 9))
                 .add(message.substr(12))
                 .finish()),
            0xa129ca6149be45e5ull);
  EXPECT_NE(engine::call_key_hash(key, "!ab", "c"), engine::call_key_hash(key, "!a", "bc"));
  EXPECT_NE(engine::call_key_hash(key, "!r", "c"), engine::call_key_hash(engine::HashKey{1, 2}, "!r", "c"));
}

TEST(RouterDefences, AStrangersCrossingInviteRingsAndIsNeverAnswered) {
  Router router(LocalParty{"@alice:x", "A"});
  router.act(action::Call{"!group:x", "z-ours", std::nullopt, false}, 0);  // no invitee, no DM peer
  outputs_of(router);
  router.sync_batch(batch_of({invite("!group:x", "@mallory:x", "a-lower", 60000, "$m")}), 100);
  auto outputs = outputs_of(router);
  EXPECT_FALSE(sent_answer(outputs));
  EXPECT_EQ(router.state_of({"!group:x", "a-lower"}), CallState::ringing);
  EXPECT_NE(router.state_of({"!group:x", "z-ours"}), CallState::ended);
  EXPECT_TRUE(router.state_of({"!group:x", "z-ours"}).has_value());
}

TEST(RouterDefences, TheDmPeersCrossingInviteIsGlare) {
  Router router(LocalParty{"@alice:x", "A"});
  router.act(action::Call{"!dm:x", "z-ours", std::nullopt, false, "@bob:x"}, 0);
  outputs_of(router);
  router.sync_batch(batch_of({invite("!dm:x", "@bob:x", "a-lower", 60000, "$b")}), 100);
  outputs_of(router);
  // Rule 59 (ours not sent yet: the fake-free router is still making its offer) or 60: theirs is answered.
  EXPECT_EQ(router.state_of({"!dm:x", "a-lower"}), CallState::create_answer);
  EXPECT_FALSE(router.state_of({"!dm:x", "z-ours"}).has_value());
}

TEST(RouterDefences, APeersLifetimeIsClampedForRingingAndMemory) {
  Timeouts t;
  t.max_peer_lifetime_ms = 180000;
  Router router(LocalParty{"@alice:x", "A"}, t);
  router.sync_batch(batch_of({invite("!r:x", "@bob:x", "forever", 1ull << 53, "$f")}), 0);
  outputs_of(router);
  ASSERT_EQ(router.state_of({"!r:x", "forever"}), CallState::ringing);
  ASSERT_TRUE(router.next_deadline());
  EXPECT_LE(*router.next_deadline(), 180000);
  router.advance(180000);
  EXPECT_FALSE(router.state_of({"!r:x", "forever"}).has_value()) << "still ringing after the clamp";
}

TEST(RouterDefences, InviteFloodIsCappedPerSenderRoomAndInTotal) {
  Timeouts t;
  t.limits.max_live_calls = 50;
  t.limits.max_live_calls_per_room = 20;
  t.limits.max_live_calls_per_sender = 3;
  Router router(LocalParty{"@alice:x", "A"}, t);
  Invites flood(1000, 100, 7);
  router.sync_batch(batch_of(flood.events), 0);
  int refused = 0;
  for (const auto& o : outputs_of(router)) {
    if (const auto* i = std::get_if<Ignored>(&o);
        i != nullptr && i->why.find("Limits::max_live_calls") != std::string::npos) {
      ++refused;
    }
  }
  EXPECT_LE(router.live_calls(), 50u);
  EXPECT_EQ(refused, 1000 - static_cast<int>(router.live_calls()));
}

// The hash key decides where calls are stored; the outputs of the same inputs must not change with it.
TEST(RouterDefences, OutputsDoNotDependOnTheHashKey) {
  auto run = [](std::array<std::uint64_t, 2> key) {
    Timeouts t;
    t.limits.hash_key = key;
    t.limits.max_live_calls_per_sender = 100;
    Router router(LocalParty{"@alice:x", "A"}, t);
    Invites invites(40, 4, 1);  // ten calls from each of four senders, in one room
    router.sync_batch(batch_of(invites.events), 0);
    std::vector<Output> all = router.take_outputs();
    router.member_left({"!r0:x", "@s1:x"}, 10);  // ends ten calls at once: their order must not follow the table
    auto more = router.take_outputs();
    all.insert(all.end(), more.begin(), more.end());
    router.advance(1000000);
    more = router.take_outputs();
    all.insert(all.end(), more.begin(), more.end());
    return all;
  };
  auto a = run({1, 2});
  auto b = run({0xdeadbeefull, 0x12345678ull});
  ASSERT_GE(a.size(), 80u);  // 40 ringing, 40 ended
  EXPECT_TRUE(a == b);
}

}  // namespace
}  // namespace mxcall::protocol
