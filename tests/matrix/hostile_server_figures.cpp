// Prints what each hostile-server attack costs the homeserver client: peak memory, time, requests, batches. Uses only
// the client API that predates the limits (Client::sync, whoami, Syncer), so the same file builds against an older
// tree for the "before" column of docs/security.md:
//   build/tests/matrix/hostile_server_figures [deep|body|retry|instant]
// Each attack runs in its own process (a crash is a figure too: run one attack per invocation).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include "fake_homeserver.hpp"
#include "mxcall/matrix/client.hpp"
#include "mxcall/matrix/syncer.hpp"

namespace {

using mxcall::testing::FakeHomeserver;
using mxcall::testing::logged_in_client;
using mxcall::testing::syncs_from_instant_server;
using namespace mxcall::matrix;
using namespace std::chrono_literals;

void report(const char* attack, const std::string& outcome, std::chrono::steady_clock::time_point start, int requests) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  std::printf("%s: %s; %lld ms, %d requests, peak RSS %ld MB\n", attack, outcome.c_str(), static_cast<long long>(ms),
              requests, mxcall::testing::peak_rss_kb() / 1024);
}

}  // namespace

int main(int argc, char** argv) {
  std::string attack = argc > 1 ? argv[1] : "";
  auto start = std::chrono::steady_clock::now();
  if (attack == "deep") {
    // A /sync reply nested 10^5 deep, 200 KB.
    std::string body = R"({"next_batch":"s","rooms":{"join":{"!r:hs":{"timeline":{"events":[)" +
                       std::string(100000, '[') + std::string(100000, ']') + "]}}}}}";
    FakeHomeserver server([&](const std::string&, int fd) { FakeHomeserver::reply(fd, 200, body); });
    auto client = logged_in_client(server.url());
    auto batch = client->sync(SyncOptions{.timeout = 0ms});
    report("deep", batch ? "read" : "refused: " + batch.error().message, start, server.requests());
  } else if (attack == "body") {
    // A 1 GB reply streamed without a Content-Length.
    constexpr std::size_t kBody = std::size_t{1} << 30;
    FakeHomeserver server([&](const std::string&, int fd) { FakeHomeserver::stream_body(fd, kBody); });
    auto client = logged_in_client(server.url());
    auto batch = client->sync(SyncOptions{.timeout = 0ms});
    report("body", batch ? "read" : "refused: " + batch.error().message, start, server.requests());
  } else if (attack == "retry") {
    // 429 asking for 1e300 ms.
    FakeHomeserver server([&](const std::string&, int fd) {
      FakeHomeserver::reply(fd, 429, R"({"errcode":"M_LIMIT_EXCEEDED","retry_after_ms":1e300})");
    });
    auto client = logged_in_client(server.url());
    auto me = client->whoami();
    report("retry", me ? "answered" : "gave up: " + me.error().message, start, server.requests());
  } else if (attack == "instant") {
    // A server that answers every long-poll at once, for 3 s.
    int requests = 0;
    int batches = syncs_from_instant_server({}, 3s, &requests);
    report("instant", std::to_string(batches) + " batches in 3 s", start, requests);
  } else {
    std::fprintf(stderr, "usage: hostile_server_figures deep|body|retry|instant\n");
    return 2;
  }
  return 0;
}
