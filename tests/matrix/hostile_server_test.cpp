// A hostile or broken homeserver, played by a scripted server on 127.0.0.1: it can cost the client bounded memory
// and time, never crash it, never stop its syncing with one bad event, never make it sleep for a server-chosen age.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "fake_homeserver.hpp"
#include "mxcall/matrix/client.hpp"
#include "mxcall/matrix/syncer.hpp"
#include "mxcall/matrix/turn.hpp"
#include "sanitizers.hpp"

namespace mxcall::matrix {
namespace {

using testing::FakeHomeserver;
using testing::peak_rss_kb;
using testing::syncs_from_instant_server;
using namespace std::chrono_literals;

// Retries 10-20 ms apart: the tests count retries, they need not wait for them.
std::unique_ptr<Client> logged_in_client(const std::string& url) {
  ClientConfig config;
  config.retry.initial_backoff = 10ms;
  config.retry.max_backoff = 20ms;
  return testing::logged_in_client(url, config);
}

bool has_control_character(const std::string& text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  return false;
}

TEST(HostileServer, DeeplyNestedSyncIsRefusedNotACrash) {
  // 10^5 levels in 200 KB: a tree of it overflowed the stack when the reply was copied.
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  std::string body = R"({"next_batch":"s1","rooms":{"join":{"!r:hs":{"timeline":{"events":[)" + deep + "]}}}}}";
  FakeHomeserver server([&](const std::string&, int fd) { FakeHomeserver::reply(fd, 200, body); });
  auto client = logged_in_client(server.url());
  auto batch = client->sync(SyncOptions{.timeout = 0ms});
  ASSERT_FALSE(batch);
  EXPECT_EQ(batch.error().code, ErrorCode::bad_response);
  EXPECT_NE(batch.error().message.find("nested deeper than 64"), std::string::npos) << batch.error().message;
}

// ThreadSanitizer keeps 4 bytes of shadow for each byte the program touches, so each megabyte kept costs about 5 of
// RSS there (ASan's shadow is an eighth, within the margin). Keeping the whole 50 MB body would cost at least 50 times
// this factor, still over the bound.
constexpr long kRssPerByteTouched = testing::kUnderThreadSanitizer ? 4 : 1;

TEST(HostileServer, HugeBodyIsCutOffAtTheLimitInBoundedMemory) {
  // 50 MB streamed without a Content-Length (so only the running count can stop it) against the 20 MiB default.
  constexpr std::size_t kBody = 50u << 20;
  FakeHomeserver server([&](const std::string&, int fd) { FakeHomeserver::stream_body(fd, kBody); });
  auto client = logged_in_client(server.url());
  long before = peak_rss_kb();
  auto started = std::chrono::steady_clock::now();
  auto batch = client->sync(SyncOptions{.timeout = 0ms});
  long grown_mb = (peak_rss_kb() - before) / 1024;
  ASSERT_FALSE(batch);
  EXPECT_EQ(batch.error().code, ErrorCode::bad_response);
  EXPECT_NE(batch.error().message.find("larger than 20971520 bytes"), std::string::npos) << batch.error().message;
  EXPECT_NE(batch.error().message.find("max_body_bytes"), std::string::npos);
  if (!testing::kUnderAddressSanitizer) {  // ASan's quarantine keeps freed memory resident: the figure means nothing
    EXPECT_LT(grown_mb, 45 * kRssPerByteTouched) << "the whole body was kept";
  }
  EXPECT_EQ(server.requests(), 1) << "a too-large reply is not retried";
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
}

TEST(HostileServer, DeclaredHugeContentLengthIsRefusedBeforeReading) {
  FakeHomeserver server([&](const std::string&, int fd) {
    FakeHomeserver::send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1000000000000\r\nConnection: close\r\n\r\n{");
  });
  auto client = logged_in_client(server.url());
  auto batch = client->sync(SyncOptions{.timeout = 0ms});
  ASSERT_FALSE(batch);
  EXPECT_NE(batch.error().message.find("max_body_bytes"), std::string::npos) << batch.error().message;
}

TEST(HostileServer, AbsurdRetryAfterMsEndsRetriesAtOnce) {
  // 1e300 ms: read as a long it is undefined behaviour (UBSan trips); read today it wrapped negative and was retried.
  FakeHomeserver server([&](const std::string&, int fd) {
    FakeHomeserver::reply(fd, 429, R"({"errcode":"M_LIMIT_EXCEEDED","error":"slow down","retry_after_ms":1e300})");
  });
  auto client = logged_in_client(server.url());
  auto started = std::chrono::steady_clock::now();
  auto result = client->whoami();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::rate_limited);
  EXPECT_EQ(server.requests(), 1) << "a wait longer than max_retry_after ends the retries";
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

TEST(HostileServer, AbsurdRetryAfterHeaderEndsRetriesAtOnce) {
  FakeHomeserver server([&](const std::string&, int fd) {
    FakeHomeserver::reply(fd, 429, R"({"errcode":"M_LIMIT_EXCEEDED"})", "Retry-After: 99999999999999999999\r\n");
  });
  auto client = logged_in_client(server.url());
  auto result = client->whoami();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::rate_limited);
  EXPECT_EQ(server.requests(), 1);
}

TEST(HostileServer, ServerErrorTextCannotForgeLines) {
  FakeHomeserver server([&](const std::string&, int fd) {
    FakeHomeserver::reply(fd, 403,
                          R"({"errcode":"M_FORBIDDEN\n","error":"no\nmxcall: call answered\u001b[2K\u009b31m"})");
  });
  auto client = logged_in_client(server.url());
  auto result = client->whoami();
  ASSERT_FALSE(result);
  EXPECT_FALSE(has_control_character(result.error().message)) << result.error().message;
  EXPECT_FALSE(has_control_character(result.error().server_text));
  EXPECT_EQ(result.error().message.find("\xc2\x9b"), std::string::npos);
  EXPECT_NE(result.error().message.find("no mxcall: call answered"), std::string::npos) << result.error().message;
}

TEST(HostileServer, OneMalformedEventIsSkippedAloneAndNamed) {
  std::string body = R"({"next_batch":"s2","rooms":{
    "join":{
      "!good:hs":{"timeline":{"limited":"yes","events":[
        42,
        {"type":"m.room.member","state_key":{"x":1},"event_id":"$bad","content":{"membership":"leave"}},
        {"type":"m.call.hangup","event_id":"$ok","sender":"@a:hs","content":{"call_id":"c","version":1}}
      ]},"state":{"events":{"not":"an array"}}},
      "!broken:hs":["not","an","object"]
    },
    "invite":{"!i:hs":{"invite_state":{"events":[{"type":"m.room.member","state_key":"@me:hs","sender":7}]}}}}})";
  FakeHomeserver server([&](const std::string&, int fd) { FakeHomeserver::reply(fd, 200, body); });
  auto client = logged_in_client(server.url());
  auto batch = client->sync(SyncOptions{.timeout = 0ms});
  ASSERT_TRUE(batch) << batch.error().message;
  ASSERT_EQ(batch->rooms.size(), 2u);
  const RoomBatch& good = batch->rooms[0];
  EXPECT_EQ(good.room_id, "!good:hs");
  EXPECT_NE(good.timeline_json.find("$ok"), std::string::npos);
  EXPECT_EQ(good.timeline_json.find("$bad"), std::string::npos);
  EXPECT_TRUE(good.members_left.empty());
  int malformed = 0;
  bool named_bad = false, named_broken = false;
  for (const auto& notice : batch->notices) {
    if (notice.kind != NoticeKind::malformed_event) continue;
    ++malformed;
    named_bad |= notice.message.find("$bad") != std::string::npos && notice.room_id == "!good:hs";
    named_broken |= notice.room_id == "!broken:hs";
  }
  EXPECT_EQ(malformed, 4);  // 42, $bad, the room that is an array, the invite's member event with a numeric sender
  EXPECT_TRUE(named_bad);
  EXPECT_TRUE(named_broken);
  EXPECT_EQ(batch->rooms[1].inviter, "");  // that member event was skipped
}

TEST(HostileServer, SyncerKeepsSyncingPastMalformedEventsAndPacesAnInstantServer) {
  // Every reply answers at once and carries a malformed event: the syncer must go on (not stop as on a fatal
  // error), and at no more than one sync per min_interval after its burst.
  std::atomic<int> n{0};
  FakeHomeserver server([&](const std::string&, int fd) {
    std::string body = R"({"next_batch":"s)" + std::to_string(++n) +
                       R"(","rooms":{"join":{"!r:hs":{"timeline":{"events":[{"type":5}]}}}}})";
    FakeHomeserver::reply(fd, 200, body);
  });
  auto client = logged_in_client(server.url());
  std::atomic<int> batches{0};
  std::atomic<bool> failed{false};
  SyncerOptions options;
  options.poll_timeout = 0ms;
  options.min_interval = 100ms;
  options.burst = 4;
  Syncer syncer(
      *client, [&](const SyncBatch&) { ++batches; }, [&](const Error&) { failed = true; }, options);
  syncer.start();
  std::this_thread::sleep_for(1s);
  EXPECT_TRUE(syncer.running());
  syncer.stop();
  EXPECT_FALSE(failed);
  EXPECT_GE(batches.load(), 3);
  // The burst, then one per interval: 4 + 10 in a second, and a sync may be in flight at the cut.
  EXPECT_LE(batches.load(), 15) << "an instant server drove the syncer faster than min_interval";
}

TEST(HostileServer, SyncerStartsItsBurstBackToBackThenWaitsAnInterval) {
  // The burst is what lets a caller's sync, woken by its own invite's echo, fetch the answer at once.
  SyncerOptions options;
  options.min_interval = 2000ms;
  options.burst = 3;
  EXPECT_EQ(syncs_from_instant_server(options, 1s), 3) << "three syncs back to back, then the next only after 2 s";
}

TEST(HostileServer, TurnTtlIsClampedBeforeConversion) {
  auto huge = parse_turn_server(R"({"uris":["turn:t.example:3478"],"username":"u","password":"p","ttl":1e300})");
  ASSERT_TRUE(huge);
  EXPECT_EQ(huge->ttl, kMaxTurnTtl);
  auto big = parse_turn_server(R"({"uris":["turn:t.example:3478"],"ttl":9223372036854775807})");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->ttl, kMaxTurnTtl);
  auto fraction = parse_turn_server(R"({"uris":["turn:t.example:3478"],"ttl":0.5})");
  ASSERT_TRUE(fraction);
  EXPECT_EQ(fraction->ttl, std::chrono::seconds{1});
}

TEST(HostileServer, PlainHttpIsRefusedExceptOnLoopback) {
  ClientConfig config;
  config.homeserver = "http://matrix.example.org";
  auto refused = check_homeserver_url(config);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->code, ErrorCode::tls_failure);
  EXPECT_NE(refused->message.find("--insecure-http"), std::string::npos);
  for (const char* url : {"http://127.example.org:8008", "http://10.0.0.1", "http://user@evil.org/"}) {
    config.homeserver = url;
    EXPECT_TRUE(check_homeserver_url(config)) << url;
  }
  for (const char* url : {"https://matrix.example.org", "http://127.0.0.1:8008", "http://localhost:8008/",
                          "http://[::1]:8008", "HTTP://127.1.2.3", "http://evil.org@127.0.0.1"}) {
    config.homeserver = url;
    EXPECT_FALSE(check_homeserver_url(config)) << url;
  }
  config.homeserver = "ftp://hs";
  EXPECT_TRUE(check_homeserver_url(config));
  config.homeserver = "http://matrix.example.org";
  config.allow_insecure_http = true;
  EXPECT_FALSE(check_homeserver_url(config));

  // The refusal comes before any request: no password leaves.
  ClientConfig plain;
  plain.homeserver = "http://192.0.2.1:9";
  Client client(plain);
  auto login = client.login_password("@me:hs", "hunter2");
  ASSERT_FALSE(login);
  EXPECT_EQ(login.error().code, ErrorCode::tls_failure);
  EXPECT_EQ(client.stats().requests, 0u);
}

}  // namespace
}  // namespace mxcall::matrix
