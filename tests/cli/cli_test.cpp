// The `mxcall` program end to end against one real Synapse (label `synapse`, inside the loopback-only namespace):
// login/whoami/logout, the homeserver errors with their messages and exit status, and real calls between mxcall
// processes: a recorded 440 Hz tone, reject (3), no answer (4), Ctrl-C (the peer sees user_hangup), and two
// answering devices of one user sharing two simultaneous calls with --max-calls 1.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "cli_fixture.hpp"

namespace mxcall::testing {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

// --- the homeserver session

TEST_F(Cli, LoginWhoamiLogout) {
  Account alice = logged_in("alice");
  struct stat st {};
  ASSERT_EQ(::stat(alice.session.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto whoami = as(alice, {"whoami", "--json"}, "whoami");
  ASSERT_EQ(whoami->wait(kCommandTimeout), 0) << describe(*whoami);
  auto facts = events(whoami->out(), "whoami");
  ASSERT_EQ(facts.size(), 1u) << describe(*whoami);
  EXPECT_EQ(facts[0]["user_id"], alice.user_id);
  EXPECT_EQ(facts[0]["homeserver"], server().url());
  EXPECT_FALSE(facts[0]["device_id"].get<std::string>().empty());

  auto logout = as(alice, {"logout"}, "logout");
  ASSERT_EQ(logout->wait(kCommandTimeout), 0) << describe(*logout);
  EXPECT_NE(logout->out().find("logged out " + alice.user_id), std::string::npos) << describe(*logout);
  EXPECT_FALSE(std::filesystem::exists(alice.session));

  auto again = as(alice, {"whoami"}, "whoami-again");
  EXPECT_EQ(again->wait(kCommandTimeout), 6) << describe(*again);
  EXPECT_NE(again->err().find("not logged in"), std::string::npos) << describe(*again);
  EXPECT_NE(again->err().find("mxcall login"), std::string::npos) << describe(*again);
}

TEST_F(Cli, PasswordFileAndAccessToken) {
  Account bob = new_user("bob");
  std::string password_file = dir_.path + "/password";
  { std::ofstream(password_file) << bob.password << "\n"; }
  auto login = start({"login", server().url(), bob.localpart, "--password-file", password_file, "--json"},
                     {{"MXCALL_SESSION", bob.session}}, "login-file");
  ASSERT_EQ(login->wait(kCommandTimeout), 0) << describe(*login);
  auto facts = events(login->out(), "login");
  ASSERT_EQ(facts.size(), 1u) << describe(*login);
  EXPECT_EQ(facts[0]["user_id"], bob.user_id);
  EXPECT_EQ(facts[0]["session_file"], bob.session);

  // The saved token, given as MXCALL_ACCESS_TOKEN, makes a second session file for the same device.
  std::ifstream in(bob.session);
  json saved = json::parse(in);
  std::string token_session = dir_.path + "/from-token.json";
  auto with_token =
      start({"login", server().url()},
            {{"MXCALL_SESSION", token_session}, {"MXCALL_ACCESS_TOKEN", saved["access_token"]}}, "login-token");
  ASSERT_EQ(with_token->wait(kCommandTimeout), 0) << describe(*with_token);
  EXPECT_NE(with_token->out().find("logged in as " + bob.user_id + " (device " + saved["device_id"].get<std::string>()),
            std::string::npos)
      << describe(*with_token);
  // whoami straight from the token, without any session file.
  auto whoami = start({"whoami"},
                      {{"MXCALL_SESSION", dir_.path + "/none.json"},
                       {"MXCALL_ACCESS_TOKEN", saved["access_token"]},
                       {"MXCALL_HOMESERVER", server().url()}},
                      "whoami-token");
  ASSERT_EQ(whoami->wait(kCommandTimeout), 0) << describe(*whoami);
  EXPECT_NE(whoami->out().find(bob.user_id), std::string::npos) << describe(*whoami);
}

TEST_F(Cli, WrongPasswordIsALoginError) {
  Account carol = new_user("carol");
  auto login = start({"login", server().url(), carol.user_id},
                     {{"MXCALL_SESSION", carol.session}, {"MXCALL_PASSWORD", "not-the-password"}}, "wrong");
  EXPECT_EQ(login->wait(kCommandTimeout), 6) << describe(*login);
  EXPECT_NE(login->err().find("wrong password for " + carol.user_id), std::string::npos) << describe(*login);
  EXPECT_NE(login->err().find("check the user name and password"), std::string::npos) << describe(*login);
  EXPECT_FALSE(std::filesystem::exists(carol.session));
}

TEST_F(Cli, UnreachableHomeserverIsAHomeserverError) {
  std::string nowhere = "http://127.0.0.1:" + std::to_string(free_port());
  auto login = start({"login", nowhere, "@dave:localhost", "--json"},
                     {{"MXCALL_SESSION", dir_.path + "/dave.json"}, {"MXCALL_PASSWORD", "x"}}, "unreachable");
  EXPECT_EQ(login->wait(kCommandTimeout), 6) << describe(*login);
  auto errors = events(login->out(), "error");
  ASSERT_EQ(errors.size(), 1u) << describe(*login);
  EXPECT_EQ(errors[0]["code"], "unreachable");
  std::string message = errors[0]["message"];
  EXPECT_NE(message.find("cannot reach the homeserver at " + nowhere), std::string::npos) << message;
  EXPECT_NE(message.find("check the address and that the server is running"), std::string::npos) << message;
}

TEST_F(Cli, UsageErrorsExitTwoAndSayWhatToDo) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"call"}, "whom to call?"},
      {{"call", "bob"}, "give @user:server, !room:server or #alias:server"},
      {{"call", "@bob:localhost", "--tone", "440", "--play", "x.wav"}, "give one of --tone, --play and --mic"},
      {{"call", "@bob:localhost", "--seconds", "soon"}, "--seconds soon: expected a number"},
      {{"answer", "--auto", "--reject"}, "give --auto or --reject, not both"},
      {{"answer", "--from", "bob"}, "give a full user id"},
      {{"answer", "--bogus"}, "unknown option --bogus"},
      {{"login", "matrix.example.org", "@a:example.org"}, "is not a homeserver URL"},
      {{"login", "http://matrix.example.org", "@a:example.org"}, "over plain http"},
      {{"frobnicate"}, "unknown command 'frobnicate'"},
  };
  for (const Case& c : cases) {
    auto child = start(c.args, {{"MXCALL_SESSION", dir_.path + "/none.json"}}, "usage");
    EXPECT_EQ(child->wait(kCommandTimeout), 2) << describe(*child);
    EXPECT_NE(child->err().find(c.message), std::string::npos) << describe(*child);
  }
  // Plain http to a host that is not loopback is refused before any request, by every command, naming the option.
  for (const char* command : {"whoami", "call"}) {
    std::vector<std::string> args{command};
    if (args[0] == "call") args.push_back("@bob:localhost");
    auto child =
        start(args, {{"MXCALL_ACCESS_TOKEN", "syt_unused"}, {"MXCALL_HOMESERVER", "http://matrix.example.org"}},
              std::string("plain-http-") + command);
    EXPECT_EQ(child->wait(kCommandTimeout), 2) << describe(*child);
    EXPECT_NE(child->err().find("--insecure-http"), std::string::npos) << describe(*child);
  }
  // Not logged in is a homeserver-session error (6), and says how to log in.
  auto call = start({"call", "@bob:localhost"}, {{"MXCALL_SESSION", dir_.path + "/none.json"}}, "no-session");
  EXPECT_EQ(call->wait(kCommandTimeout), 6) << describe(*call);
  EXPECT_NE(call->err().find("run `mxcall login HOMESERVER USER` first"), std::string::npos) << describe(*call);
}

TEST_F(Cli, HelpListsEveryCommandAndOption) {
  auto help = start({"--help"}, {}, "help");
  ASSERT_EQ(help->wait(kCommandTimeout), 0);
  for (const char* command :
       {"login", "whoami", "logout", "call", "answer", "transfer", "verify", "validate", "replay"}) {
    EXPECT_NE(help->out().find(std::string("  ") + command), std::string::npos) << command;
  }
  auto answer = start({"answer", "--help"}, {}, "answer-help");
  ASSERT_EQ(answer->wait(kCommandTimeout), 0);
  for (const char* option : {"--auto", "--reject", "--from", "--count", "--max-calls", "--timeout", "--tone", "--play",
                             "--record", "--seconds", "--json", "--verbose", "--insecure-http",
                             "MXCALL_ICE_LOOPBACK_ONLY", "--busy", "--allow-transfer", "--identity"}) {
    EXPECT_NE(answer->out().find(option), std::string::npos) << option;
  }
  auto call = start({"call", "--help"}, {}, "call-help");
  ASSERT_EQ(call->wait(kCommandTimeout), 0);
  for (const char* option : {"--video", "--tone", "--play", "--record", "--seconds", "--ring-timeout", "--json",
                             "--insecure-http", "--allow-transfer", "--identity", "--identity-id"}) {
    EXPECT_NE(call->out().find(option), std::string::npos) << option;
  }
  auto transfer = start({"transfer", "--help"}, {}, "transfer-help");
  ASSERT_EQ(transfer->wait(kCommandTimeout), 0);
  for (const char* option : {"--after", "--transfer-timeout", "--identity", "--tone", "--json"}) {
    EXPECT_NE(transfer->out().find(option), std::string::npos) << option;
  }
  auto verify = start({"verify", "--help"}, {}, "verify-help");
  ASSERT_EQ(verify->wait(kCommandTimeout), 0);
  for (const char* option : {"--wait", "--bootstrap", "--yes", "--timeout", "--password-file", "--json"}) {
    EXPECT_NE(verify->out().find(option), std::string::npos) << option;
  }
  auto not_a_user = start({"verify", "bob"}, {}, "verify-usage");
  ASSERT_EQ(not_a_user->wait(kCommandTimeout), 2);
  EXPECT_NE(not_a_user->err().find("not a Matrix user id"), std::string::npos) << not_a_user->err();
  // --busy declines calls beyond --max-calls, so without --auto it is a usage error that says so.
  auto busy = start({"answer", "--busy"}, {}, "busy-usage");
  EXPECT_EQ(busy->wait(kCommandTimeout), 2);
  EXPECT_NE(busy->err().find("--busy"), std::string::npos) << busy->err();
}

// --- real calls

TEST_F(Cli, AnsweredCallCarriesTheToneToTheRecording) {
  Account alice = logged_in("alice");
  Account bob = logged_in("bob");
  std::string wav = dir_.path + "/heard.wav";
  auto answer = answering(bob, {"--auto", "--record", wav, "--count", "1"});
  auto call = as(alice, {"call", bob.user_id, "--tone", "440", "--seconds", "4", "--json"}, "call");

  ASSERT_EQ(call->wait(kCallTimeout), 0) << describe(*call) << describe(*answer);
  ASSERT_EQ(answer->wait(kCommandTimeout), 0) << describe(*answer);

  json caller = summary(call->out());
  ASSERT_TRUE(caller.is_object()) << describe(*call);
  EXPECT_EQ(caller["exit_code"], 0);
  ASSERT_EQ(caller["calls"].size(), 1u);
  EXPECT_EQ(caller["calls"][0]["outcome"], "completed");
  EXPECT_EQ(caller["calls"][0]["reason"], "user_hangup");
  EXPECT_GT(caller["calls"][0]["connected_seconds"].get<double>(), 3.0);
  EXPECT_GT(caller["calls"][0]["sent_packets"].get<std::uint64_t>(), 50u);

  bool saw_connected = false;
  for (auto& state : events(answer->out(), "state")) saw_connected |= state["state"] == "connected";
  EXPECT_TRUE(saw_connected) << describe(*answer);
  auto incoming = events(answer->out(), "incoming");
  ASSERT_EQ(incoming.size(), 1u) << describe(*answer);
  EXPECT_EQ(incoming[0]["caller"], alice.user_id);
  EXPECT_EQ(incoming[0]["action"], "answer");
  json callee = summary(answer->out());
  EXPECT_EQ(callee["calls"][0]["outcome"], "completed");

  int rate = 0;
  auto samples = media::read_wav(wav, &rate);
  ASSERT_GT(samples.size(), static_cast<std::size_t>(rate)) << "less than a second recorded";
  EXPECT_NEAR(media::dominant_frequency(samples, rate), 440.0, 10.0);
}

TEST_F(Cli, RejectedCallExitsThree) {
  Account alice = logged_in("alice");
  Account bob = logged_in("bob");
  auto answer = answering(bob, {"--reject", "--count", "1"});
  auto call = as(alice, {"call", bob.user_id, "--json"}, "call");
  EXPECT_EQ(call->wait(kCallTimeout), 3) << describe(*call) << describe(*answer);
  EXPECT_EQ(answer->wait(kCommandTimeout), 0) << describe(*answer);
  json caller = summary(call->out());
  ASSERT_TRUE(caller.is_object()) << describe(*call);
  EXPECT_EQ(caller["calls"][0]["outcome"], "rejected");
  EXPECT_EQ(summary(answer->out())["calls"][0]["outcome"], "rejected_here");
}

TEST_F(Cli, UnansweredCallExitsFour) {
  Account alice = logged_in("alice");
  Account bob = logged_in("bob");  // logged in, but nothing of bob's is running: nobody answers
  auto call = as(alice, {"call", bob.user_id, "--ring-timeout", "6"}, "call");
  EXPECT_EQ(call->wait(kCallTimeout), 4) << describe(*call);
  EXPECT_NE(call->out().find("not_answered (invite_timeout, by us)"), std::string::npos) << describe(*call);
}

TEST_F(Cli, CtrlCHangsUpAndThePeerSeesUserHangup) {
  Account alice = logged_in("alice");
  Account bob = logged_in("bob");
  auto answer = answering(bob, {"--auto", "--count", "1"});
  auto call = as(alice, {"call", bob.user_id, "--json"}, "call");
  ASSERT_TRUE(call->wait_for_output("\"state\":\"connected\"", kCallTimeout)) << describe(*call) << describe(*answer);
  call->signal(SIGINT);
  EXPECT_EQ(call->wait(kCommandTimeout), 0) << describe(*call);
  EXPECT_EQ(events(call->out(), "interrupted").size(), 1u) << describe(*call);
  EXPECT_EQ(answer->wait(kCommandTimeout), 0) << describe(*answer);
  json ended;
  for (auto& state : events(answer->out(), "state")) {
    if (state["state"] == "ended") ended = state;
  }
  ASSERT_TRUE(ended.is_object()) << describe(*answer);
  EXPECT_EQ(ended["reason"], "user_hangup");
  EXPECT_EQ(ended["local"], false);
  EXPECT_EQ(ended["outcome"], "completed");
}

TEST_F(Cli, FromJoinsAndAnswersOnlyTheListedCallers) {
  Account alice = logged_in("alice");
  Account carol = logged_in("carol");
  Account bob = logged_in("bob");
  auto answer = answering(bob, {"--auto", "--from", carol.user_id, "--count", "1"});
  auto stranger = as(alice, {"call", bob.user_id, "--ring-timeout", "6"}, "call-alice");
  auto listed = as(carol, {"call", bob.user_id, "--seconds", "2"}, "call-carol");
  EXPECT_EQ(listed->wait(kCallTimeout), 0) << describe(*listed) << describe(*answer);
  EXPECT_EQ(stranger->wait(kCallTimeout), 4) << describe(*stranger);  // its DM invite was never joined
  EXPECT_EQ(answer->wait(kCommandTimeout), 0) << describe(*answer);
  for (auto& incoming : events(answer->out(), "incoming")) EXPECT_EQ(incoming["caller"], carol.user_id);
  bool refused_alice = false;
  for (auto& notice : events(answer->out(), "notice")) {
    std::string message = notice["message"];
    refused_alice |=
        message.find("not joining") != std::string::npos && message.find(alice.user_id) != std::string::npos;
  }
  EXPECT_TRUE(refused_alice) << describe(*answer);
}

TEST_F(Cli, TwoAnsweringDevicesTakeOneCallEach) {
  Account alice = logged_in("alice");
  Account carol = logged_in("carol");
  Account bob = logged_in("bob");
  Account bob_second = bob;  // the same user on a second device: its own session file
  bob_second.session = dir_.path + "/" + bob.localpart + "-second.json";
  login(bob_second);

  std::vector<std::unique_ptr<ChildProcess>> devices;
  for (const Account* device : {&bob, &bob_second}) {
    devices.push_back(answering(*device, {"--auto", "--max-calls", "1", "--count", "1"}, "device"));
  }
  auto call_a = as(alice, {"call", bob.user_id, "--seconds", "5", "--json"}, "call-alice");
  auto call_c = as(carol, {"call", bob.user_id, "--seconds", "5", "--json"}, "call-carol");
  EXPECT_EQ(call_a->wait(kCallTimeout), 0) << describe(*call_a) << describe(*devices[0]) << describe(*devices[1]);
  EXPECT_EQ(call_c->wait(kCallTimeout), 0) << describe(*call_c) << describe(*devices[0]) << describe(*devices[1]);

  std::set<std::string> answered_call_ids;
  for (auto& device : devices) {
    ASSERT_EQ(device->wait(kCommandTimeout), 0) << describe(*device);
    json result = summary(device->out());
    std::vector<std::string> completed;
    for (auto& call : result["calls"]) {
      if (call["outcome"] == "completed") completed.push_back(call["call_id"]);
    }
    ASSERT_EQ(completed.size(), 1u) << describe(*device);
    answered_call_ids.insert(completed[0]);
  }
  EXPECT_EQ(answered_call_ids.size(), 2u) << "both devices answered the same call";
}

// --- call features: busy (rule 50), asserted identity (MSC3086), transfer (MSC2747)

TEST_F(Cli, AnswerBusyDeclinesTheCallBeyondCapacityAndTheCallerShowsBusy) {
  Account alice = logged_in("alice");
  Account carol = logged_in("carol");
  Account bob = logged_in("bob");
  auto answer = answering(bob, {"--auto", "--max-calls", "1", "--busy", "--count", "1"});
  auto first = as(alice,
                  {"call", bob.user_id, "--seconds", "8", "--identity", "Front desk", "--identity-id",
                   "tel:+441234567890", "--json"},
                  "call-alice");
  ASSERT_TRUE(first->wait_for_output("\"state\":\"connected\"", kCallTimeout)) << describe(*first);
  auto second = as(carol, {"call", bob.user_id, "--json"}, "call-carol");
  EXPECT_EQ(second->wait(kCallTimeout), 3) << describe(*second) << describe(*answer);
  json busy = summary(second->out());
  ASSERT_TRUE(busy.is_object()) << describe(*second);
  EXPECT_EQ(busy["calls"][0]["outcome"], "busy");
  EXPECT_EQ(busy["calls"][0]["reason"], "user_busy");
  EXPECT_EQ(first->wait(kCallTimeout), 0) << describe(*first);
  EXPECT_EQ(answer->wait(kCommandTimeout), 0) << describe(*answer);
  bool declined_busy = false;
  for (auto& incoming : events(answer->out(), "incoming")) declined_busy |= incoming["action"] == "busy";
  EXPECT_TRUE(declined_busy) << describe(*answer);
  auto identities = events(answer->out(), "peer_identity");
  ASSERT_EQ(identities.size(), 1u) << describe(*answer);
  EXPECT_EQ(identities[0]["display_name"], "Front desk");
  EXPECT_EQ(identities[0]["id"], "tel:+441234567890");
}

TEST_F(Cli, TransferMovesThePeerToTheTarget) {
  Account alice = logged_in("alice");
  Account carol = logged_in("carol");
  Account bob = logged_in("bob");
  auto bob_answer = answering(bob, {"--auto", "--allow-transfer", "--count", "1"}, "answer-bob");
  auto carol_answer = answering(carol, {"--auto", "--seconds", "2", "--count", "1"}, "answer-carol");
  auto transfer = as(alice, {"transfer", bob.user_id, carol.user_id, "--json"}, "transfer");
  EXPECT_EQ(transfer->wait(kCallTimeout), 0) << describe(*transfer) << describe(*bob_answer);
  EXPECT_EQ(events(transfer->out(), "transferred").size(), 1u) << describe(*transfer);
  ASSERT_EQ(bob_answer->wait(kCallTimeout), 0) << describe(*bob_answer);
  ASSERT_EQ(carol_answer->wait(kCommandTimeout), 0) << describe(*carol_answer);
  std::map<std::string, std::string> outcomes;    // bob's calls: the transferred one and its replacement
  json bob_summary = summary(bob_answer->out());  // a named object: the loop must not range over a temporary's member
  for (auto& call : bob_summary["calls"]) {
    outcomes[call.value("peer", "")] = call.value("outcome", "");
  }
  EXPECT_EQ(outcomes[alice.user_id], "transferred") << describe(*bob_answer);
  EXPECT_EQ(outcomes[carol.user_id], "completed") << describe(*bob_answer);
  auto carol_calls = summary(carol_answer->out())["calls"];
  ASSERT_EQ(carol_calls.size(), 1u) << describe(*carol_answer);
  EXPECT_EQ(carol_calls[0]["peer"], bob.user_id);
  EXPECT_EQ(carol_calls[0]["outcome"], "completed");
}

TEST_F(Cli, DtmfAndAScreenShareFromTheCallerAreShownByTheAnsweringSide) {
  Account alice = logged_in("alice");
  Account bob = logged_in("bob");
  auto answer = answering(bob, {"--auto", "--count", "1"});
  auto call = as(alice, {"call", bob.user_id, "--dtmf", "159#", "--share-screen", "--seconds", "8", "--json"}, "call");
  ASSERT_EQ(call->wait(kCallTimeout), 0) << describe(*call) << describe(*answer);
  ASSERT_EQ(answer->wait(kCommandTimeout), 0) << describe(*answer);

  auto sent = events(call->out(), "dtmf_sent");
  ASSERT_EQ(sent.size(), 1u) << describe(*call);
  EXPECT_EQ(sent[0]["digits"], "159#");

  // In band (RFC 4733, rule 71): each digit arrives once, in order, with the length it was held.
  std::string heard;
  for (auto& digit : events(answer->out(), "dtmf")) {
    heard += digit["digit"].get<std::string>();
    EXPECT_GE(digit["duration_ms"].get<std::int64_t>(), 40) << digit.dump();
  }
  EXPECT_EQ(heard, "159#") << describe(*answer);

  // The caller's m.screenshare stream (rule 56) is reported as its own stream, separate from the call's media.
  auto shares = events(answer->out(), "peer_screenshare");
  ASSERT_FALSE(shares.empty()) << describe(*answer);
  EXPECT_EQ(shares.front()["active"], true);
  EXPECT_EQ(summary(answer->out())["calls"][0]["outcome"], "completed");
}

}  // namespace
}  // namespace mxcall::testing

int main(int argc, char** argv) { return mxcall::testing::run_cli_tests(argc, argv); }
