// Runs the test Synapse for programs that are not GoogleTest suites (the CLI's tests, interop tests with another
// client): starts it, registers the users named on the command line, prints one JSON line
// {"url": ..., "server_name": ..., "users": [{"user_id", "localpart", "password"}]}, and stops it (process group
// and all) when standard input closes or on SIGTERM/SIGINT. A bounded lifetime (--max-seconds, default 1800) ends it
// even if nobody closes stdin.
//
// Usage: synapse_launcher [--no-turn] [--turn-lifetime=1h] [--messages-per-second=N --burst=N]
//                         [--max-seconds=N] [user[:password] ...]
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "synapse_server.hpp"

namespace {
volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }
}  // namespace

int main(int argc, char** argv) {
  mxcall::testing::SynapseOptions options;
  long max_seconds = 1800;
  std::vector<std::pair<std::string, std::string>> users;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* prefix) { return arg.substr(std::strlen(prefix)); };
    if (arg == "--no-turn") {
      options.turn = false;
    } else if (arg.rfind("--turn-lifetime=", 0) == 0) {
      options.turn_user_lifetime = value("--turn-lifetime=");
    } else if (arg.rfind("--messages-per-second=", 0) == 0) {
      options.message_per_second = std::stod(value("--messages-per-second="));
    } else if (arg.rfind("--burst=", 0) == 0) {
      options.message_burst = std::stoi(value("--burst="));
    } else if (arg.rfind("--max-seconds=", 0) == 0) {
      max_seconds = std::stol(value("--max-seconds="));
    } else if (arg.rfind("--", 0) == 0) {
      std::cerr << "synapse_launcher: unknown option " << arg << "\n";
      return 2;
    } else {
      auto colon = arg.find(':');
      users.emplace_back(arg.substr(0, colon), colon == std::string::npos ? arg + "-password" : arg.substr(colon + 1));
    }
  }
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);

  mxcall::testing::SynapseServer server(options);
  std::string error;
  if (!server.start(&error)) {
    std::cerr << "synapse_launcher: " << error << "\n";
    return 1;
  }
  nlohmann::json out = {
      {"url", server.url()}, {"server_name", options.server_name}, {"users", nlohmann::json::array()}};
  for (const auto& [localpart, password] : users) {
    if (!server.register_user(localpart, password, &error)) {
      std::cerr << "synapse_launcher: registering " << localpart << ": " << error << "\n";
      return 1;
    }
    out["users"].push_back({{"user_id", server.user_id(localpart)}, {"localpart", localpart}, {"password", password}});
  }
  std::cout << out.dump() << std::endl;

  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{max_seconds};
  while (!g_stop && std::chrono::steady_clock::now() < deadline) {
    pollfd in{0, POLLIN, 0};
    if (::poll(&in, 1, 200) > 0) {
      char buffer[256];
      if (::read(0, buffer, sizeof buffer) <= 0) break;  // stdin closed: the caller is done
    }
  }
  return 0;  // ~SynapseServer stops Synapse and removes its folder
}
