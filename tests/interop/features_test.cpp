// mxcall against matrix-js-sdk 37.5.0: the call features beyond the call itself. Transfer (MSC2747) as js-sdk sends
// it (transfer() and transferToCall(), which end js-sdk's own call locally with no hangup), asserted identity
// (MSC3086) sent by mxcall and shown by js-sdk, capabilities both ways, and busy.
#include <condition_variable>

#include "interop_fixture.hpp"

namespace mxcall::interop {
namespace {

inline constexpr int kCarolTone = 880;
inline constexpr double kMxReplacementTone = 990;

// An MxParty that also keeps what the call features report.
class FeatureParty : public MxParty {
 public:
  FeatureParty(Runtime& runtime, const std::string& homeserver, const testing::TestUser& user, TransferPolicy transfers)
      : MxParty(runtime, "mx", homeserver, user.localpart, user.password, kMxTone, {}, [transfers](PhoneConfig& c) {
          c.transfers = transfers;
          c.transfer_media.audio_source = audio_source::Tone{kMxReplacementTone};
        }) {
    if (ok()) phone().set_observer(this);  // from here on the callbacks reach this class's overrides
  }
  ~FeatureParty() override {
    // No callback may reach this class once its members go: the phone stops calling before they are destroyed.
    if (ok()) {
      phone().hangup_all(2s);
      phone().set_observer(nullptr);
    }
  }

  void on_peer_capabilities(const PeerCapabilities& c) override {
    keep([&] { capabilities.push_back(c); });
  }
  void on_transfer_request(const TransferRequest& r) override {
    keep([&] { requests.push_back(r); });
  }
  void on_transfer_update(const TransferUpdate& u) override {
    keep([&] { updates.push_back(u); });
  }

  // The first transfer update of `call` with `status`.
  std::optional<TransferUpdate> wait_transfer(const CallRef& call, TransferStatus status,
                                              std::chrono::milliseconds timeout = 20s) {
    std::optional<TransferUpdate> found;
    std::unique_lock lock(feature_mutex_);
    feature_changed_.wait_for(lock, timeout, [&] {
      for (const auto& u : updates) {
        if (u.call == call && u.status == status) found = u;
      }
      return found.has_value();
    });
    return found;
  }
  std::optional<PeerCapabilities> wait_capabilities(const CallRef& call, std::chrono::milliseconds timeout = 10s) {
    std::optional<PeerCapabilities> found;
    std::unique_lock lock(feature_mutex_);
    feature_changed_.wait_for(lock, timeout, [&] {
      for (const auto& c : capabilities) {
        if (c.call == call) found = c;
      }
      return found.has_value();
    });
    return found;
  }

  std::vector<PeerCapabilities> capabilities;
  std::vector<TransferRequest> requests;
  std::vector<TransferUpdate> updates;

 private:
  template <typename F>
  void keep(F&& f) {
    {
      std::lock_guard lock(feature_mutex_);
      f();
    }
    feature_changed_.notify_all();
  }
  std::mutex feature_mutex_;
  std::condition_variable feature_changed_;
};

class Features : public InteropTest {
 protected:
  std::unique_ptr<FeatureParty> start_feature_mx(TransferPolicy transfers = TransferPolicy::accept) {
    return std::make_unique<FeatureParty>(runtime(), homeserver(), mx_user_, transfers);
  }
  // A third user with a direct chat with the mxcall user (recorded in m.direct, where mxcall finds the room for a
  // transfer target, rule T7), as a JS party.
  std::unique_ptr<JsPeer> start_carol() {
    carol_ = testing::new_user("carol");
    carol_room_ = testing::shared_room(mx_user_, carol_);
    EXPECT_TRUE(mx_user_.client->add_direct(carol_.user_id, carol_room_).ok());
    auto peer = std::make_unique<JsPeer>("carol", peer_script(peer_));
    EXPECT_TRUE(peer->login(homeserver(), carol_.localpart, carol_.password, kCarolTone));
    return peer;
  }
  // The JS user in a call with mxcall (which accepts transfers), and carol ready as the target.
  struct TransferScene {
    std::unique_ptr<JsPeer> js, carol;
    std::unique_ptr<FeatureParty> mx;
    std::optional<CallRef> call;
  };
  TransferScene transfer_scene() {
    TransferScene scene{start_js("js", kJsTone), start_carol(), start_feature_mx(TransferPolicy::accept), {}};
    if (scene.mx->ok()) scene.call = connected_call_from_js(*scene.js, *scene.mx);
    return scene;
  }

  // What js-sdk's opponentCanBeTransferred() says of us: our m.call.transferee (rule T10).
  static std::optional<bool> js_sees_transferee(JsPeer& js, const CallRef& call) {
    auto report = js.report(call.call_id);
    if (!report) return std::nullopt;
    return (*report)["opponent_can_be_transferred"].get<bool>();
  }

  testing::TestUser carol_;
  std::string carol_room_;
};

TEST_F(Features, CapabilitiesAdvertisedBothWays) {
  auto js = start_js("js", kJsTone);
  auto mx = start_feature_mx(TransferPolicy::accept);
  ASSERT_TRUE(mx->ok());
  auto call = connected_call_from_js(*js, *mx);
  ASSERT_TRUE(call);
  EXPECT_EQ(js_sees_transferee(*js, *call), true);  // js-sdk reads our m.call.transferee (rule T10) ...
  // ... and we read its capabilities: js-sdk hard-codes m.call.dtmf false and follows supportsCallTransfer (false).
  auto theirs = mx->wait_capabilities(*call);
  ASSERT_TRUE(theirs);
  EXPECT_FALSE(theirs->capabilities.transferee);
  EXPECT_FALSE(theirs->capabilities.dtmf);
  mx->phone().hangup(*call);
  EXPECT_TRUE(js->wait_event("hangup", call->call_id, 10s));
}

TEST_F(Features, JsTransferMakesMxcallCallTheTargetAndEndTheOldCall) {
  TransferScene scene = transfer_scene();
  ASSERT_TRUE(scene.call);
  auto& [js, carol, mx, call] = scene;
  std::size_t carol_from = carol->mark();
  ASSERT_TRUE(js->command({{"cmd", "transfer"}, {"call_id", call->call_id}, {"target", carol_.user_id}}));

  auto placing = mx->wait_transfer(*call, TransferStatus::placing);
  ASSERT_TRUE(placing && placing->replacement) << "mxcall did not place the replacement call (rule T7)";
  EXPECT_EQ(placing->replacement->room_id, carol_room_);
  const std::string new_call = placing->replacement->call_id;
  auto rings = carol->wait_event("incoming", new_call, 20s, carol_from);
  ASSERT_TRUE(rings) << "the target never rang for the create_call id";
  EXPECT_EQ((*rings)["caller"], mx_user_.user_id);
  ASSERT_TRUE(carol->command({{"cmd", "answer"}, {"call_id", new_call}}));

  auto completed = mx->wait_transfer(*call, TransferStatus::completed);
  ASSERT_TRUE(completed) << "the replacement never connected";
  auto ended = mx->wait_ended(*call);
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->reason, protocol::kEndedTransferred);  // rule T8: the old call is hung up
  EXPECT_TRUE(carol->hears(new_call, kMxReplacementTone)) << "the target does not hear mxcall on the new call";
  auto js_end = js->report(call->call_id);
  ASSERT_TRUE(js_end);
  EXPECT_EQ((*js_end)["hangup_reason"], "transferred");  // js-sdk ended its side locally

  ASSERT_TRUE(carol->command({{"cmd", "hangup"}, {"call_id", new_call}}));
  auto new_ended = mx->wait_ended(*placing->replacement);
  ASSERT_TRUE(new_ended);
  EXPECT_EQ(new_ended->reason, "user_hangup");
}

TEST_F(Features, JsTransferToCallSendsCreateCallAndMxcallConnectsTheTwoPeers) {
  TransferScene scene = transfer_scene();
  ASSERT_TRUE(scene.call);
  auto& [js, carol, mx, call] = scene;
  // The JS user's second call, with carol (the JS user joins a room with carol first).
  std::string js_carol_room = testing::shared_room(js_user_, carol_);
  ASSERT_FALSE(js_carol_room.empty());
  auto to_carol = js->command({{"cmd", "call"}, {"room_id", js_carol_room}});
  ASSERT_TRUE(to_carol);
  std::string second = (*to_carol)["call_id"];
  ASSERT_TRUE(js_rings(*carol, second));
  ASSERT_TRUE(carol->command({{"cmd", "answer"}, {"call_id", second}}));
  ASSERT_TRUE(js->reached(second, "connected"));

  std::size_t carol_from = carol->mark();
  ASSERT_TRUE(js->command({{"cmd", "transfer_to_call"}, {"call_id", call->call_id}, {"target_call_id", second}}));
  // js-sdk tells mxcall (this call's peer) to create the call and carol to await it; carol's js-sdk has no handler
  // for m.call.replaces, so it simply rings and is answered here.
  auto placing = mx->wait_transfer(*call, TransferStatus::placing);
  ASSERT_TRUE(placing && placing->replacement);
  const std::string new_call = placing->replacement->call_id;
  ASSERT_TRUE(carol->wait_event("incoming", new_call, 20s, carol_from));
  ASSERT_TRUE(carol->command({{"cmd", "answer"}, {"call_id", new_call}}));
  ASSERT_TRUE(mx->wait_transfer(*call, TransferStatus::completed));
  auto ended = mx->wait_ended(*call);
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->reason, protocol::kEndedTransferred);
  EXPECT_TRUE(carol->hears(new_call, kMxReplacementTone));
  ASSERT_TRUE(carol->command({{"cmd", "hangup"}, {"call_id", new_call}}));
  EXPECT_TRUE(mx->wait_ended(*placing->replacement));
}

TEST_F(Features, MxcallDeclinesTransferWhenNotAllowed) {
  auto js = start_js("js", kJsTone);
  auto mx = start_feature_mx(TransferPolicy::decline);
  ASSERT_TRUE(mx->ok());
  auto call = connected_call_from_js(*js, *mx);
  ASSERT_TRUE(call);
  EXPECT_EQ(js_sees_transferee(*js, *call), false);  // not advertised (rule T10)
  ASSERT_TRUE(js->command({{"cmd", "transfer"}, {"call_id", call->call_id}, {"target", js_user_.user_id}}));
  auto declined = mx->wait_transfer(*call, TransferStatus::declined);
  ASSERT_TRUE(declined) << "the transfer was not declined (rule T9)";
  // The decline reaches the homeserver as m.call.reject_replacement with reason declined.
  bool sent = false;
  for (int i = 0; i < 50 && !sent; ++i) {
    for (const auto& e : testing::room_events(*mx_user_.client, room_, "m.call.reject_replacement")) {
      sent |= e["content"].value("reason", "") == "declined";
    }
    if (!sent) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(sent);
  EXPECT_FALSE(mx->ended(*call));  // nothing else happens to the call here (js-sdk ended its side locally)
  mx->phone().hangup(*call);
}

TEST_F(Features, JsShowsTheIdentityMxcallAsserts) {
  auto js = start_js("js", kJsTone);
  auto mx = start_feature_mx();
  ASSERT_TRUE(mx->ok());
  auto call = connected_call_from_js(*js, *mx);
  ASSERT_TRUE(call);
  std::size_t from = js->mark();
  mx->phone().assert_identity(*call, Identity{"@front-desk:example.org", "Front desk", std::nullopt});
  auto shown = js->wait_event("asserted_identity", call->call_id, 10s, from);
  ASSERT_TRUE(shown) << "js-sdk never reported the asserted identity";
  EXPECT_EQ((*shown)["display_name"], "Front desk");
  EXPECT_EQ((*shown)["id"], "@front-desk:example.org");
  mx->phone().hangup(*call);
  EXPECT_TRUE(js->wait_event("hangup", call->call_id, 10s));
}

TEST_F(Features, BusyCalleeMakesTheJsCallerEndWithUserBusy) {
  auto js = start_js("js", kJsTone);
  auto mx = start_feature_mx();
  ASSERT_TRUE(mx->ok());
  std::string call_id = js_call(*js);
  ASSERT_FALSE(call_id.empty());
  auto incoming = mx->wait_incoming();
  ASSERT_TRUE(incoming);
  mx->phone().busy(incoming->call);
  auto hangup = js->wait_event("hangup", call_id, 10s);
  ASSERT_TRUE(hangup);
  EXPECT_EQ((*hangup)["reason"], "user_busy");  // js-sdk reads the reject's reason (rule 50)
  EXPECT_TRUE(js->wait_for(
      [&](const Json& e) {
        return e["ev"] == "voip" && e["type"] == "m.call.reject" && e.value("reason", Json()) == "user_busy";
      },
      1s));
  auto ended = mx->wait_ended(incoming->call);
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->reason, "user_busy");
}

}  // namespace
}  // namespace mxcall::interop
