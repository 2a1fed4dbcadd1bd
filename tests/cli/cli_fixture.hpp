// The fixture of the `mxcall` program's end-to-end tests: users on the test Synapse, the real binary run as child
// processes with their own HOME, and readers for its --json output.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "media_harness.hpp"
#include "synapse_environment.hpp"

namespace mxcall::testing {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr milliseconds kCommandTimeout{30000};  // login, whoami, logout, a failing call
constexpr milliseconds kCallTimeout{90000};     // a whole call: DM creation, join, ring, media, hangup

struct Account {
  std::string localpart;
  std::string user_id;
  std::string password;
  std::string session;  // its session file
};

class Cli : public ::testing::Test {
 protected:
  SynapseServer& server() { return SynapseEnvironment::server(); }

  // A fresh user on the test Synapse (not logged in yet).
  Account new_user(const std::string& prefix) {
    static int counter = 0;
    Account account;
    account.localpart = prefix + std::to_string(++counter) + "_" + std::to_string(::getpid());
    account.user_id = server().user_id(account.localpart);
    account.password = "pw-" + account.localpart;
    account.session = dir_.path + "/" + account.localpart + ".json";
    std::string error;
    EXPECT_TRUE(server().register_user(account.localpart, account.password, &error)) << error;
    return account;
  }

  // A user logged in with `mxcall login` (the password from MXCALL_PASSWORD).
  Account logged_in(const std::string& prefix) {
    Account account = new_user(prefix);
    login(account);
    return account;
  }
  void login(const Account& account) {
    auto child = start({"login", server().url(), account.user_id},
                       {{"MXCALL_SESSION", account.session}, {"MXCALL_PASSWORD", account.password}}, "login");
    auto status = child->wait(kCommandTimeout);
    ASSERT_EQ(status, 0) << child->err();
  }

  std::unique_ptr<ChildProcess> start(std::vector<std::string> args, std::map<std::string, std::string> env,
                                      const std::string& name) {
    args.insert(args.begin(), MXCALL_BINARY);
    env.emplace("HOME", dir_.path);
    env.emplace("MXCALL_ICE_LOOPBACK_ONLY", "1");
    return std::make_unique<ChildProcess>(args, env, dir_.path + "/" + name + std::to_string(++children_));
  }
  std::unique_ptr<ChildProcess> as(const Account& account, std::vector<std::string> args, const std::string& name) {
    return start(std::move(args), {{"MXCALL_SESSION", account.session}}, name);
  }
  // `mxcall answer ARGS --json` as `account`, once it says it is waiting (its sync has started).
  std::unique_ptr<ChildProcess> answering(const Account& account, std::vector<std::string> args,
                                          const std::string& name = "answer") {
    args.insert(args.begin(), "answer");
    args.push_back("--json");
    auto child = as(account, std::move(args), name);
    EXPECT_TRUE(child->wait_for_output("\"event\":\"waiting\"", kCommandTimeout)) << describe(*child);
    return child;
  }

  static std::vector<json> json_lines(const std::string& text) {
    std::vector<json> out;
    std::size_t start = 0;
    while (start < text.size()) {
      std::size_t nl = text.find('\n', start);
      if (nl == std::string::npos) nl = text.size();
      auto line = json::parse(text.substr(start, nl - start), nullptr, false);
      EXPECT_TRUE(line.is_object()) << "not a JSON object: " << text.substr(start, nl - start);
      if (line.is_object()) out.push_back(line);
      start = nl + 1;
    }
    return out;
  }
  static std::vector<json> events(const std::string& text, const std::string& name) {
    std::vector<json> out;
    for (auto& line : json_lines(text)) {
      if (line.value("event", "") == name) out.push_back(line);
    }
    return out;
  }
  static json summary(const std::string& text) {
    auto all = events(text, "summary");
    return all.empty() ? json() : all.back();
  }
  static std::string describe(const ChildProcess& child) {
    return child.command_line() + "\n--- stdout\n" + child.out() + "--- stderr\n" + child.err();
  }

  media::test::TempDir dir_;
  int children_ = 0;
};

// The main() of a CLI test program: one Synapse without TURN (media stays on 127.0.0.1, MXCALL_ICE_LOOPBACK_ONLY).
inline int run_cli_tests(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  SynapseOptions options;
  options.turn = false;
  ::testing::AddGlobalTestEnvironment(new SynapseEnvironment(options));
  return RUN_ALL_TESTS();
}

}  // namespace mxcall::testing
