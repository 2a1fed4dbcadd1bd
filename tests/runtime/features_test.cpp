// The call features through the public API, mxcall to mxcall: three phones in an in-process room with the fake media
// engine. Transfer both ways (MSC2747, rules T3-T9), asserted identity (MSC3086), capabilities (rule T10), busy.
#include <gtest/gtest.h>

#include <array>

#include "mxcall/media/fake_media_engine.hpp"
#include "mxcall/phone.hpp"

namespace mxcall::test {
namespace {

using namespace std::chrono_literals;

// Everything a phone reports about calls and their features. Read on the loop thread (run_until predicates).
struct FeatureRecorder final : PhoneObserver {
  void on_incoming_call(const IncomingCall& call) override {
    incoming.push_back(call);
    if (answer_incoming) phone->answer(call.call);
  }
  void on_call_state(const CallStateChange& change) override { states.push_back(change); }
  void on_action_refused(const CallRef&, const std::string& why) override { refused.push_back(why); }
  void on_peer_capabilities(const PeerCapabilities& c) override { capabilities.push_back(c); }
  void on_peer_identity(const PeerIdentity& i) override { identities.push_back(i); }
  void on_transfer_request(const TransferRequest& r) override { requests.push_back(r); }
  void on_transfer_update(const TransferUpdate& u) override { updates.push_back(u); }

  std::optional<CallState> state(const std::string& call_id) const {
    for (auto it = states.rbegin(); it != states.rend(); ++it) {
      if (it->call.call_id == call_id) return it->state;
    }
    return std::nullopt;
  }
  std::string end_reason(const std::string& call_id) const {
    for (const auto& change : states) {
      if (change.call.call_id == call_id && change.state == CallState::ended) return change.reason;
    }
    return {};
  }
  const TransferUpdate* update(TransferStatus status) const {
    for (const auto& u : updates) {
      if (u.status == status) return &u;
    }
    return nullptr;
  }

  Phone* phone = nullptr;
  bool answer_incoming = false;
  std::vector<IncomingCall> incoming;
  std::vector<CallStateChange> states;
  std::vector<std::string> refused;
  std::vector<PeerCapabilities> capabilities;
  std::vector<PeerIdentity> identities;
  std::vector<TransferRequest> requests;
  std::vector<TransferUpdate> updates;
};

PhoneConfig config(TransferPolicy transfers) {
  PhoneConfig c;
  c.media_engine = std::make_shared<media::FakeMediaEngine>(media::FakeMediaOptions{true, true, true});
  c.stats_interval = 0ms;
  c.transfers = transfers;
  return c;
}

struct ThreePhones {
  explicit ThreePhones(TransferPolicy bob_transfers)
      : bob(Phone::in_room(runtime, room, "@bob:test", "BOB", config(bob_transfers))) {
    using Pair = std::pair<Phone*, FeatureRecorder*>;
    for (auto [phone, recorder] : std::array{Pair{alice.get(), &a}, Pair{bob.get(), &b}, Pair{carol.get(), &c}}) {
      recorder->phone = phone;
      phone->set_observer(recorder);
    }
  }
  ~ThreePhones() {
    for (auto* phone : {alice.get(), bob.get(), carol.get()}) phone->set_observer(nullptr);
  }
  bool until(const std::function<bool()>& done) { return runtime.run_until(done, 10s); }
  // Alice transfers Bob to Carol: Bob is to place the new call (create_call).
  Result<std::string> transfer_to_carol(const CallRef& call, std::optional<std::string> shown_as = std::nullopt) {
    return alice->transfer(call, {.target_user = "@carol:test",
                                  .target_display_name = std::move(shown_as),
                                  .peer_places_call = true,
                                  .new_call_id = std::nullopt});
  }
  // Alice calls Bob, Bob answers: connected on both sides.
  CallRef connected_call() {
    auto call = alice->call("@bob:test");
    EXPECT_TRUE(call.ok());
    EXPECT_TRUE(until([&] { return !b.incoming.empty(); }));
    bob->answer(b.incoming.at(0).call);
    EXPECT_TRUE(until([&] {
      return a.state(call->call_id) == CallState::connected && b.state(call->call_id) == CallState::connected;
    }));
    return *call;
  }

  Runtime runtime;
  InProcessRoom room{runtime, "!room:test"};
  std::unique_ptr<Phone> alice = Phone::in_room(runtime, room, "@alice:test", "ALICE", config(TransferPolicy::ask));
  std::unique_ptr<Phone> bob;
  std::unique_ptr<Phone> carol = Phone::in_room(runtime, room, "@carol:test", "CAROL", config(TransferPolicy::ask));
  FeatureRecorder a, b, c;
};

TEST(RuntimeFeatures, TransferredPeerCallsTheTargetAndHangsUpTheOldCall) {
  ThreePhones t(TransferPolicy::accept);
  t.c.answer_incoming = true;
  CallRef call = t.connected_call();
  // Rule T10: Bob accepts transfers, so his answer advertised m.call.transferee; Alice asks, so hers did too.
  ASSERT_TRUE(t.until([&] { return !t.a.capabilities.empty() && !t.b.capabilities.empty(); }));
  EXPECT_TRUE(t.a.capabilities.back().capabilities.transferee);
  EXPECT_TRUE(t.a.capabilities.back().capabilities.dtmf);  // PhoneConfig::advertise_dtmf is on by default (rule 71)

  auto new_call = t.transfer_to_carol(call, "Carol");
  ASSERT_TRUE(new_call.ok());
  ASSERT_TRUE(t.until([&] { return t.a.update(TransferStatus::sent) != nullptr; }));
  // Bob places the new call with the create_call id, Carol answers it, and Bob hangs up on Alice (rule T8).
  ASSERT_TRUE(t.until([&] { return t.b.update(TransferStatus::completed) != nullptr; }));
  ASSERT_EQ(t.b.requests.size(), 1u);
  EXPECT_EQ(t.b.requests[0].target.id, "@carol:test");
  EXPECT_EQ(t.b.requests[0].target.display_name, "Carol");
  EXPECT_EQ(t.b.requests[0].new_call_id, *new_call);
  ASSERT_EQ(t.c.incoming.size(), 1u);
  EXPECT_EQ(t.c.incoming[0].call.call_id, *new_call);
  EXPECT_EQ(t.c.incoming[0].caller, "@bob:test");
  ASSERT_TRUE(t.until([&] {
    return t.a.state(call.call_id) == CallState::ended && t.b.state(call.call_id) == CallState::ended &&
           t.c.state(*new_call) == CallState::connected;
  }));
  EXPECT_EQ(t.b.end_reason(call.call_id), protocol::kEndedTransferred);
  EXPECT_EQ(t.a.end_reason(call.call_id), "user_hangup");
  EXPECT_EQ(t.b.state(*new_call), CallState::connected);
}

TEST(RuntimeFeatures, AttendedTransferJoinsTheTwoPeersWithAwaitCallAndCreateCall) {
  // Alice is in a call with Bob and one with Carol and joins them (as js-sdk's transferToCall): Bob awaits the new
  // call, Carol places it. Both accept transfers.
  ThreePhones t(TransferPolicy::accept);
  auto carol_accepts = Phone::in_room(t.runtime, t.room, "@carol:test", "CAROL2", config(TransferPolicy::accept));
  FeatureRecorder c2;
  c2.phone = carol_accepts.get();
  carol_accepts->set_observer(&c2);
  CallRef with_bob = t.connected_call();
  auto with_carol = t.alice->call("@carol:test");
  ASSERT_TRUE(with_carol.ok());
  ASSERT_TRUE(t.until([&] { return !c2.incoming.empty(); }));
  carol_accepts->answer(c2.incoming[0].call);
  ASSERT_TRUE(
      t.until([&] { return t.a.state(with_carol->call_id) == CallState::connected && t.a.capabilities.size() >= 2; }));
  const std::string joined = "joined-call-1";
  ASSERT_TRUE(t.alice
                  ->transfer(with_bob, {.target_user = "@carol:test",
                                        .target_display_name = std::nullopt,
                                        .peer_places_call = false,
                                        .new_call_id = joined})
                  .ok());
  ASSERT_TRUE(t.alice
                  ->transfer(*with_carol, {.target_user = "@bob:test",
                                           .target_display_name = std::nullopt,
                                           .peer_places_call = true,
                                           .new_call_id = joined})
                  .ok());
  ASSERT_TRUE(t.until([&] {
    return t.b.update(TransferStatus::completed) != nullptr && c2.update(TransferStatus::completed) != nullptr;
  }));
  EXPECT_NE(t.b.update(TransferStatus::awaiting), nullptr);
  ASSERT_NE(t.b.update(TransferStatus::answering), nullptr);
  EXPECT_EQ(t.b.update(TransferStatus::answering)->replacement->call_id, joined);
  EXPECT_EQ(c2.update(TransferStatus::placing)->replacement->call_id, joined);
  EXPECT_EQ(t.b.state(joined), CallState::connected);
  EXPECT_EQ(c2.state(joined), CallState::connected);
  ASSERT_TRUE(t.until([&] {
    return t.a.state(with_bob.call_id) == CallState::ended && t.a.state(with_carol->call_id) == CallState::ended;
  }));
  EXPECT_EQ(t.b.end_reason(with_bob.call_id), protocol::kEndedTransferred);
  EXPECT_EQ(c2.end_reason(with_carol->call_id), protocol::kEndedTransferred);
  carol_accepts->set_observer(nullptr);
}

TEST(RuntimeFeatures, DeclinedTransferIsReportedToTheTransferor) {
  ThreePhones t(TransferPolicy::ask);
  CallRef call = t.connected_call();
  ASSERT_TRUE(t.until([&] { return !t.a.capabilities.empty(); }));
  ASSERT_TRUE(t.transfer_to_carol(call).ok());
  ASSERT_TRUE(t.until([&] { return !t.b.requests.empty(); }));
  t.bob->decline_transfer(call, t.b.requests[0].replacement_id);
  ASSERT_TRUE(t.until([&] { return t.a.update(TransferStatus::rejected_by_peer) != nullptr; }));
  EXPECT_EQ(t.a.update(TransferStatus::rejected_by_peer)->reason, "declined");
  EXPECT_NE(t.b.update(TransferStatus::declined), nullptr);
  EXPECT_EQ(t.a.state(call.call_id), CallState::connected);  // the call goes on (rule T9)
  EXPECT_TRUE(t.c.incoming.empty());
}

TEST(RuntimeFeatures, TransferToAPeerThatDeclinesAllTransfersIsRefused) {
  ThreePhones t(TransferPolicy::decline);  // Bob advertises m.call.transferee false
  CallRef call = t.connected_call();
  ASSERT_TRUE(t.until([&] { return !t.a.capabilities.empty(); }));
  EXPECT_FALSE(t.a.capabilities.back().capabilities.transferee);
  ASSERT_TRUE(t.transfer_to_carol(call).ok());
  ASSERT_TRUE(t.until([&] { return !t.a.refused.empty(); }));
  EXPECT_NE(t.a.refused[0].find("m.call.transferee"), std::string::npos);
}

TEST(RuntimeFeatures, AssertedIdentityReachesThePeerAndReverts) {
  ThreePhones t(TransferPolicy::decline);
  CallRef call = t.connected_call();
  t.alice->assert_identity(call, Identity{"tel:+441234567890", "Front desk", std::nullopt});
  ASSERT_TRUE(t.until([&] { return !t.b.identities.empty(); }));
  ASSERT_TRUE(t.b.identities[0].identity.has_value());
  EXPECT_EQ(t.b.identities[0].identity->display_name, "Front desk");
  EXPECT_EQ(t.b.identities[0].identity->id, "tel:+441234567890");
  t.alice->assert_identity(call, std::nullopt);
  ASSERT_TRUE(t.until([&] { return t.b.identities.size() == 2; }));
  EXPECT_FALSE(t.b.identities[1].identity.has_value());
}

TEST(RuntimeFeatures, BusyCalleeEndsTheCallerWithUserBusy) {
  ThreePhones t(TransferPolicy::decline);
  auto call = t.alice->call("@bob:test");
  ASSERT_TRUE(call.ok());
  ASSERT_TRUE(t.until([&] { return !t.b.incoming.empty(); }));
  t.bob->busy(t.b.incoming[0].call);
  ASSERT_TRUE(t.until([&] { return t.a.state(call->call_id) == CallState::ended; }));
  EXPECT_EQ(t.a.end_reason(call->call_id), "user_busy");
  EXPECT_EQ(t.b.end_reason(call->call_id), "user_busy");
}

}  // namespace
}  // namespace mxcall::test
