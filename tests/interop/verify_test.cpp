// `mxcall verify` (the real binary) against matrix-js-sdk's own verification with its Rust crypto, as Element Web
// runs it (tests/interop/verification_peer.mjs): SAS both ways with the same seven emoji on both sides and both
// ending done, js-sdk then counting mxcall's device as verified; cross-signing bootstrapped by mxcall and checked on
// the homeserver; an emoji mismatch and a cancel from the other side, each ending both sides with its reason.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "child_process.hpp"
#include "interop_fixture.hpp"
#include "mxcall/matrix/client.hpp"

namespace mxcall::interop {
namespace {

using testing::ChildProcess;
constexpr std::chrono::milliseconds kVerifyTimeout{60000};

class Verify : public InteropTest {
 protected:
  void SetUp() override {
    InteropTest::SetUp();
    // js-sdk's crypto follows the devices of users it shares an encrypted room with, as in Element.
    ASSERT_FALSE(testing::shared_room(mx_user_, js_user_, /*encrypted=*/true).empty());
    dir_ = std::filesystem::temp_directory_path() / ("mxcall-verify-" + mx_user_.localpart);
    std::filesystem::create_directories(dir_);
    session_ = (dir_ / "session.json").string();
    auto login = mxcall({"login", homeserver(), mx_user_.user_id}, "login", {{"MXCALL_PASSWORD", mx_user_.password}});
    ASSERT_EQ(login->wait(kVerifyTimeout), 0) << login->err();
    std::ifstream in(session_);
    mx_device_ = Json::parse(in, nullptr, false).value("device_id", "");
    ASSERT_FALSE(mx_device_.empty());
    js_ = std::make_unique<JsPeer>("js", interop_dir() + "/verification_peer.mjs");
    auto logged_in = js_->command(
        {{"cmd", "login"}, {"homeserver", homeserver()}, {"user", js_user_.localpart}, {"password", js_user_.password}},
        60s);
    ASSERT_TRUE(logged_in);
    js_device_ = logged_in->value("device_id", "");
  }

  void TearDown() override {
    js_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::unique_ptr<ChildProcess> mxcall(std::vector<std::string> args, const std::string& name,
                                       std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), MXCALL_BINARY);
    env.emplace("HOME", dir_.string());
    env.emplace("MXCALL_SESSION", session_);
    return std::make_unique<ChildProcess>(args, env, (dir_ / name).string());
  }

  static std::vector<Json> facts(const std::string& out, const std::string& event) {
    std::vector<Json> found;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
      auto j = Json::parse(line, nullptr, false);
      if (j.is_object() && j.value("event", "") == event) found.push_back(j);
    }
    return found;
  }

  // The js side's SAS as "Dog Cat ..." (the names mxcall prints in emoji_names).
  static std::string js_emoji_names(const Json& sas) {
    std::string names;
    for (const auto& e : sas["emoji"]) names += (names.empty() ? "" : " ") + e.value("name", "");
    return names;
  }

  static std::string describe(const ChildProcess& child) {
    return child.command_line() + "\n--- stdout\n" + child.out() + "--- stderr\n" + child.err();
  }

  // Both sides compared the same seven emoji, and each ended done.
  void expect_same_emoji_and_done(const ChildProcess& verify, std::size_t js_from) {
    auto mx_sas = facts(verify.out(), "sas");
    ASSERT_EQ(mx_sas.size(), 1u) << describe(verify);
    auto js_sas = js_->wait_event("sas", "", 5s, js_from);
    ASSERT_TRUE(js_sas);
    ASSERT_EQ((*js_sas)["emoji"].size(), 7u);
    EXPECT_EQ(mx_sas[0].value("emoji_names", ""), js_emoji_names(*js_sas));
    auto decimals = (*js_sas)["decimals"];
    ASSERT_TRUE(decimals.is_array() && decimals.size() == 3u);
    EXPECT_EQ(mx_sas[0].value("decimals", ""),
              decimals[0].dump() + " " + decimals[1].dump() + " " + decimals[2].dump());
    EXPECT_EQ(facts(verify.out(), "verified").size(), 1u) << describe(verify);
    // js-sdk's own view of the flow: its request's phase, polled (it does not always emit a change for done).
    std::string flow_id = js_sas->value("flow_id", "");
    std::string phase;
    for (int i = 0; i < 40 && phase != "done"; ++i) {
      auto answer = js_->command({{"cmd", "phase"}, {"flow_id", flow_id}});
      phase = answer ? answer->value("phase", "") : "";
      if (phase != "done") std::this_thread::sleep_for(250ms);
    }
    EXPECT_EQ(phase, "done") << describe(verify);
  }

  Json js_status_of_mxcall() {
    auto status = js_->command({{"cmd", "status"}, {"user_id", mx_user_.user_id}, {"device_id", mx_device_}});
    return status ? *status : Json::object();
  }

  std::filesystem::path dir_;
  std::string session_;
  std::string mx_device_;
  std::string js_device_;
  std::unique_ptr<JsPeer> js_;
};

TEST_F(Verify, MxcallAsksJsBothShowTheSameEmojiAndOurDeviceIsCrossSigned) {
  auto before = js_status_of_mxcall();
  EXPECT_TRUE(before.value("known", false)) << before;
  EXPECT_FALSE(before.value("verified", true)) << before;
  std::size_t from = js_->mark();
  auto verify =
      mxcall({"verify", "--bootstrap", js_user_.user_id, js_device_, "--yes", "--json", "--timeout", "45"}, "verify");
  ASSERT_EQ(verify->wait(kVerifyTimeout), 0) << describe(*verify);
  expect_same_emoji_and_done(*verify, from);
  auto status = js_status_of_mxcall();
  EXPECT_TRUE(status.value("known", false)) << status;
  EXPECT_TRUE(status.value("locally_verified", false)) << status;
  EXPECT_TRUE(status.value("verified", false)) << status;
  // js-sdk sees mxcall's device signed by its owner's self-signing key (it does not trust that identity itself).
  EXPECT_TRUE(status.value("signed_by_owner", false)) << status;

  // On the homeserver: our device carries a signature by our self-signing key.
  auto cross = facts(verify->out(), "cross_signing");
  ASSERT_EQ(cross.size(), 1u) << describe(*verify);
  EXPECT_TRUE(cross[0].value("device_signed", false));
  matrix::ClientConfig config;
  config.homeserver = homeserver();
  matrix::Client client(config);
  ASSERT_TRUE(client.login_password(js_user_.localpart, js_user_.password).ok());
  Json query = {{"device_keys", {{mx_user_.user_id, Json::array()}}}};
  auto answer = client.api("POST", "/_matrix/client/v3/keys/query", query.dump());
  ASSERT_TRUE(answer.ok());
  auto keys = Json::parse(answer->body, nullptr, false);
  const auto& ssk = keys["self_signing_keys"][mx_user_.user_id]["keys"];
  ASSERT_TRUE(ssk.is_object() && ssk.size() == 1u) << keys.dump();
  std::string ssk_id = ssk.begin().key();
  const auto& signatures = keys["device_keys"][mx_user_.user_id][mx_device_]["signatures"][mx_user_.user_id];
  ASSERT_TRUE(signatures.is_object()) << keys.dump();
  EXPECT_TRUE(signatures.contains(ssk_id))
      << "device signatures: " << signatures.dump() << ", self-signing key " << ssk_id;

  // A second bootstrap finds the device signed and changes nothing.
  auto again = mxcall({"verify", "--bootstrap", "--json"}, "bootstrap-again");
  ASSERT_EQ(again->wait(kVerifyTimeout), 0) << describe(*again);
  auto again_facts = facts(again->out(), "cross_signing");
  ASSERT_EQ(again_facts.size(), 1u);
  EXPECT_TRUE(again_facts[0].value("device_signed", false));
}

TEST_F(Verify, JsAsksMxcallWhichWaitsAndBothEndDone) {
  auto verify = mxcall({"verify", "--wait", js_user_.user_id, "--yes", "--json", "--timeout", "45"}, "wait");
  ASSERT_TRUE(verify->wait_for_output("\"event\":\"waiting\"", kVerifyTimeout)) << describe(*verify);
  std::size_t from = js_->mark();
  ASSERT_TRUE(js_->command({{"cmd", "request"}, {"user_id", mx_user_.user_id}, {"device_id", mx_device_}}));
  ASSERT_EQ(verify->wait(kVerifyTimeout), 0) << describe(*verify);
  expect_same_emoji_and_done(*verify, from);
  EXPECT_EQ(facts(verify->out(), "verification_request").size(), 1u);
  EXPECT_TRUE(js_status_of_mxcall().value("verified", false));
}

TEST_F(Verify, EmojiMismatchCancelsBothSides) {
  // No --yes and no terminal: standard input ends, which answers "N".
  js_status_of_mxcall();  // js-sdk knows mxcall's device before its request arrives
  std::size_t from = js_->mark();
  auto verify = mxcall({"verify", js_user_.user_id, js_device_, "--json", "--timeout", "45"}, "mismatch");
  ASSERT_EQ(verify->wait(kVerifyTimeout), 3) << describe(*verify);
  EXPECT_EQ(facts(verify->out(), "sas").size(), 1u);
  EXPECT_TRUE(facts(verify->out(), "verified").empty());
  auto cancelled = js_->wait_event("verification_cancelled", "", 10s, from);
  ASSERT_TRUE(cancelled);
  EXPECT_EQ(cancelled->value("code", ""), "m.mismatched_sas");
  EXPECT_FALSE(js_status_of_mxcall().value("verified", true));
}

TEST_F(Verify, OtherSideCancellingEndsMxcallWithItsReason) {
  ASSERT_TRUE(js_->command({{"cmd", "answer"}, {"sas", "cancel"}}));
  js_status_of_mxcall();
  auto verify = mxcall({"verify", js_user_.user_id, js_device_, "--yes", "--json", "--timeout", "45"}, "cancelled");
  ASSERT_EQ(verify->wait(kVerifyTimeout), 3) << describe(*verify);
  auto errors = facts(verify->out(), "error");
  ASSERT_FALSE(errors.empty()) << describe(*verify);
  EXPECT_NE(errors.back().value("message", "").find("by the other side"), std::string::npos) << describe(*verify);
  EXPECT_NE(errors.back().value("message", "").find("m.user"), std::string::npos) << describe(*verify);
  EXPECT_TRUE(facts(verify->out(), "verified").empty());
}

TEST_F(Verify, UnknownDeviceIsNamedWithTheKnownOnes) {
  auto verify = mxcall({"verify", js_user_.user_id, "NOSUCHDEVICE", "--json", "--timeout", "20"}, "unknown");
  ASSERT_EQ(verify->wait(kVerifyTimeout), 2) << describe(*verify);
  auto errors = facts(verify->out(), "error");
  ASSERT_EQ(errors.size(), 1u) << describe(*verify);
  EXPECT_EQ(errors[0].value("code", ""), "unknown_device");
  EXPECT_NE(errors[0].value("message", "").find(js_device_), std::string::npos) << errors[0];
}

}  // namespace
}  // namespace mxcall::interop
