// The `mxcall` program in end-to-end encrypted rooms, against one real Synapse (label `synapse`, inside the
// loopback-only namespace): login makes and uploads the device's keys, whoami shows the fingerprint the homeserver
// has, create-dm --encrypted, calls between mxcall processes in an encrypted DM with audio both ways checked by
// frequency, a restart of the answering side between two calls, a wrong store passphrase, and logout deleting the
// store.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "cli_fixture.hpp"
#include "mxcall/matrix/client.hpp"
#include "mxcall/media/audio_analysis.hpp"

namespace mxcall::testing {
namespace {

std::string store_of(const Account& account) { return account.session + ".crypto"; }

// A client API request as `account` (its access token from the session file), from the test itself.
json api_as(SynapseServer& server, const Account& account, const std::string& method, const std::string& path,
            const json& body = {}) {
  std::ifstream in(account.session);
  json session = json::parse(in, nullptr, false);
  std::string token = session.is_object() ? session.value("access_token", "") : "";
  EXPECT_FALSE(token.empty()) << "no access token in " << account.session;
  matrix::ClientConfig config;
  config.homeserver = server.url();
  matrix::Client client(config);
  EXPECT_TRUE(client.use_access_token(token).ok());
  auto reply = client.api(method.c_str(), path, body.is_null() ? std::string() : body.dump());
  EXPECT_TRUE(reply.ok()) << method << " " << path << ": " << (reply ? "" : reply.error().message);
  if (!reply) return json::object();
  auto parsed = json::parse(reply->body, nullptr, false);
  EXPECT_TRUE(parsed.is_object()) << method << " " << path << ": " << reply->body;
  return parsed;
}

class CliEncrypted : public Cli {
 protected:
  // alice's `create-dm --encrypted` with bob: the room id.
  std::string encrypted_dm(const Account& alice, const Account& bob) {
    auto created = as(alice, {"create-dm", bob.user_id, "--encrypted", "--json"}, "create-dm");
    EXPECT_EQ(created->wait(kCommandTimeout), 0) << describe(*created);
    auto facts = events(created->out(), "create_dm");
    EXPECT_EQ(facts.size(), 1u) << describe(*created);
    return facts.empty() ? std::string() : facts[0].value("room_id", "");
  }

  // One call from alice (tone `alice_hz`) to bob, who answers (tone `bob_hz`); both record. Returns both summaries.
  std::pair<json, json> tone_call(const Account& alice, const Account& bob, int alice_hz, int bob_hz,
                                  const std::string& tag) {
    std::string alice_wav = dir_.path + "/" + tag + "-alice-heard.wav";
    std::string bob_wav = dir_.path + "/" + tag + "-bob-heard.wav";
    auto answer = answering(bob, {"--auto", "--tone", std::to_string(bob_hz), "--record", bob_wav, "--count", "1"},
                            tag + "-answer");
    auto call =
        as(alice,
           {"call", bob.user_id, "--tone", std::to_string(alice_hz), "--record", alice_wav, "--seconds", "4", "--json"},
           tag + "-call");
    EXPECT_EQ(call->wait(kCallTimeout), 0) << describe(*call) << describe(*answer);
    EXPECT_EQ(answer->wait(kCommandTimeout), 0) << describe(*answer);
    int rate = 0;
    auto heard_by_bob = media::read_wav(bob_wav, &rate);
    EXPECT_GT(heard_by_bob.size(), static_cast<std::size_t>(rate)) << "bob recorded less than a second";
    if (!heard_by_bob.empty()) {
      EXPECT_NEAR(media::dominant_frequency(heard_by_bob, rate), alice_hz, 10.0);
    }
    auto heard_by_alice = media::read_wav(alice_wav, &rate);
    EXPECT_GT(heard_by_alice.size(), static_cast<std::size_t>(rate)) << "alice recorded less than a second";
    if (!heard_by_alice.empty()) {
      EXPECT_NEAR(media::dominant_frequency(heard_by_alice, rate), bob_hz, 10.0);
    }
    return {summary(call->out()), summary(answer->out())};
  }

  // The room's events as the server stores them: no m.call.* in the clear.
  int plain_call_events(const Account& reader, const std::string& room) {
    json page = api_as(server(), reader, "GET",
                       "/_matrix/client/v3/rooms/" + matrix::Client::escape(room) + "/messages?dir=b&limit=500");
    int plain = 0;
    for (const auto& event : page.value("chunk", json::array())) {
      plain += event.value("type", "").rfind("m.call.", 0) == 0;
    }
    return plain;
  }
};

TEST_F(CliEncrypted, LoginMakesKeysWhoamiShowsTheFingerprintTheServerHas) {
  Account alice = logged_in("alice");
  struct stat st {};
  ASSERT_EQ(::stat(store_of(alice).c_str(), &st), 0) << "login made no encryption store";
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  for (const auto& file : std::filesystem::directory_iterator(store_of(alice))) {
    ASSERT_EQ(::stat(file.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0077, 0u) << file.path() << " is readable by others";
  }
  auto whoami = as(alice, {"whoami", "--json"}, "whoami");
  ASSERT_EQ(whoami->wait(kCommandTimeout), 0) << describe(*whoami);
  auto facts = events(whoami->out(), "whoami");
  ASSERT_EQ(facts.size(), 1u) << describe(*whoami);
  std::string ed25519 = facts[0].value("ed25519", "");
  std::string device = facts[0].value("device_id", "");
  ASSERT_EQ(ed25519.size(), 43u) << describe(*whoami);
  // The key a person compares must be the one other clients get from the homeserver for this device.
  json keys = api_as(server(), alice, "POST", "/_matrix/client/v3/keys/query",
                     {{"device_keys", {{alice.user_id, json::array({device})}}}});
  EXPECT_EQ(keys["device_keys"][alice.user_id][device]["keys"].value("ed25519:" + device, ""), ed25519);
  // Text mode: groups of four, as clients show a session key.
  auto text = as(alice, {"whoami"}, "whoami-text");
  ASSERT_EQ(text->wait(kCommandTimeout), 0) << describe(*text);
  EXPECT_NE(text->out().find("session key (Ed25519) " + ed25519.substr(0, 4) + " " + ed25519.substr(4, 4)),
            std::string::npos)
      << describe(*text);
}

TEST_F(CliEncrypted, CreateDmEncryptedTurnsEncryptionOn) {
  Account alice = logged_in("alice");
  Account bob = new_user("bob");
  std::string room = encrypted_dm(alice, bob);
  ASSERT_FALSE(room.empty());
  json state = api_as(server(), alice, "GET",
                      "/_matrix/client/v3/rooms/" + matrix::Client::escape(room) + "/state/m.room.encryption/");
  EXPECT_EQ(state.value("algorithm", ""), "m.megolm.v1.aes-sha2");
  json direct = api_as(server(), alice, "GET",
                       "/_matrix/client/v3/user/" + matrix::Client::escape(alice.user_id) + "/account_data/m.direct");
  EXPECT_TRUE(direct.contains(bob.user_id)) << direct.dump();

  auto bad = as(alice, {"create-dm", "bob"}, "create-dm-bad");
  EXPECT_EQ(bad->wait(kCommandTimeout), 2) << describe(*bad);
  EXPECT_NE(bad->err().find("@bob:example.org"), std::string::npos) << describe(*bad);
}

// Both directions of audio in an encrypted DM, then the answering side restarts (a new process: its keys come from
// the store) and a second call is read and answered as well; no call event ever crosses the server in the clear.
TEST_F(CliEncrypted, EncryptedDmCallsAudioBothWaysAcrossARestart) {
  Account alice = logged_in("alice");
  Account bob = logged_in("bob");
  std::string room = encrypted_dm(alice, bob);
  ASSERT_FALSE(room.empty());
  auto [caller, callee] = tone_call(alice, bob, 440, 660, "first");
  ASSERT_TRUE(caller.is_object());
  EXPECT_EQ(caller["calls"][0]["outcome"], "completed");
  EXPECT_EQ(callee["calls"][0]["outcome"], "completed");
  auto [caller2, callee2] = tone_call(alice, bob, 660, 440, "second");
  ASSERT_TRUE(caller2.is_object());
  EXPECT_EQ(caller2["calls"][0]["outcome"], "completed");
  EXPECT_EQ(callee2["calls"][0]["outcome"], "completed");
  EXPECT_EQ(plain_call_events(alice, room), 0) << "a call event went out in plain text";
}

TEST_F(CliEncrypted, WrongPassphraseSaysWhatToDo) {
  Account alice = new_user("alice");
  auto login = start(
      {"login", server().url(), alice.user_id},
      {{"MXCALL_SESSION", alice.session}, {"MXCALL_PASSWORD", alice.password}, {"MXCALL_PASSPHRASE", "correct horse"}},
      "login");
  ASSERT_EQ(login->wait(kCommandTimeout), 0) << describe(*login);
  auto wrong =
      start({"whoami"}, {{"MXCALL_SESSION", alice.session}, {"MXCALL_PASSPHRASE", "battery staple"}}, "whoami-wrong");
  EXPECT_EQ(wrong->wait(kCommandTimeout), 6) << describe(*wrong);
  EXPECT_NE(wrong->err().find("passphrase"), std::string::npos) << describe(*wrong);
  EXPECT_NE(wrong->err().find("MXCALL_PASSPHRASE"), std::string::npos) << describe(*wrong);
  EXPECT_NE(wrong->err().find("mxcall logout"), std::string::npos) << describe(*wrong);
  std::string file = dir_.path + "/passphrase.txt";
  std::ofstream(file) << "correct horse\n";
  auto right = start({"whoami", "--passphrase-file", file}, {{"MXCALL_SESSION", alice.session}}, "whoami-right");
  EXPECT_EQ(right->wait(kCommandTimeout), 0) << describe(*right);
}

TEST_F(CliEncrypted, LogoutDeletesTheStore) {
  Account alice = logged_in("alice");
  ASSERT_TRUE(std::filesystem::exists(store_of(alice)));
  auto logout = as(alice, {"logout", "--json"}, "logout");
  ASSERT_EQ(logout->wait(kCommandTimeout), 0) << describe(*logout);
  EXPECT_FALSE(std::filesystem::exists(alice.session));
  EXPECT_FALSE(std::filesystem::exists(store_of(alice)));
  auto facts = events(logout->out(), "logout");
  ASSERT_EQ(facts.size(), 1u) << describe(*logout);
  EXPECT_EQ(facts[0]["encryption_store"], store_of(alice));
}

}  // namespace
}  // namespace mxcall::testing

int main(int argc, char** argv) { return mxcall::testing::run_cli_tests(argc, argv); }
