// Sessions, errors, rooms and TURN against a real Synapse (with TURN configured, 6 s credential lifetime).
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "helpers.hpp"
#include "mxcall/matrix/syncer.hpp"
#include "mxcall/matrix/turn.hpp"
#include "net_helpers.hpp"

namespace mxcall::testing {
namespace {

using matrix::ErrorCode;
using nlohmann::json;

const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new SynapseEnvironment([] {
  SynapseOptions options;
  options.turn = true;
  options.turn_user_lifetime = "6s";
  return options;
}()));

void expect_one_line(const matrix::Error& error) {
  EXPECT_EQ(error.message.find('\n'), std::string::npos) << error.message;
  EXPECT_FALSE(error.message.empty());
}

TEST(Login, PasswordWhoamiLogout) {
  auto alice = new_user("alice");
  auto session = alice.client->session();
  EXPECT_EQ(session.user_id, alice.user_id);
  EXPECT_FALSE(session.device_id.empty());
  auto me = alice.client->whoami();
  ASSERT_TRUE(me.ok()) << me.error().message;
  EXPECT_EQ(me->user_id, alice.user_id);
  EXPECT_EQ(me->device_id, session.device_id);
  ASSERT_TRUE(alice.client->logout().ok());
  auto after = alice.client->whoami();
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().code, ErrorCode::not_logged_in);
}

TEST(Login, LoginTokenAndAccessToken) {
  auto alice = new_user("alice");
  auto token_reply = alice.client->api("POST", "/_matrix/client/v1/login/get_token", "{}");
  ASSERT_TRUE(token_reply.ok()) << token_reply.error().message;
  std::string login_token = json::parse(token_reply->body).at("login_token").get<std::string>();

  auto second = make_client();
  auto session = second->login_token(login_token);
  ASSERT_TRUE(session.ok()) << session.error().message;
  EXPECT_EQ(session->user_id, alice.user_id);
  EXPECT_NE(session->device_id, alice.client->session().device_id);

  auto reused = make_client()->login_token(login_token);  // single-use
  ASSERT_FALSE(reused.ok());
  expect_one_line(reused.error());

  auto third = make_client();
  auto adopted = third->use_access_token(alice.client->session().access_token);
  ASSERT_TRUE(adopted.ok()) << adopted.error().message;
  EXPECT_EQ(adopted->device_id, alice.client->session().device_id);
}

TEST(Errors, WrongPassword) {
  auto alice = new_user("alice");
  auto result = make_client()->login_password(alice.user_id, "not-the-password");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::wrong_password) << result.error().message;
  EXPECT_NE(result.error().message.find("wrong password for " + alice.user_id + " on"), std::string::npos)
      << result.error().message;
  expect_one_line(result.error());
  // With a bare localpart and registration closed, Synapse gives no way to tell; the message says so.
  auto bare = make_client()->login_password(alice.localpart, "not-the-password");
  ASSERT_FALSE(bare.ok());
  EXPECT_EQ(bare.error().code, ErrorCode::wrong_password);
  EXPECT_NE(bare.error().message.find("or no such user"), std::string::npos) << bare.error().message;
}

TEST(Errors, UnknownUser) {
  auto result = make_client()->login_password("@nobody-here:localhost", "whatever");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::unknown_user) << result.error().message;
  EXPECT_NE(result.error().message.find("@nobody-here:localhost"), std::string::npos) << result.error().message;
  expect_one_line(result.error());
}

TEST(Errors, UnreachableHomeserverFailsFast) {
  int port = free_port();  // nothing listens there
  auto start = std::chrono::steady_clock::now();
  auto result = make_client("http://127.0.0.1:" + std::to_string(port))->login_password("alice", "pw");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::unreachable) << result.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds{3});
  expect_one_line(result.error());
}

TEST(Errors, NotAHomeserver) {
  CannedHttpServer web("404 Not Found", "text/html", "<html>no such page</html>");
  auto result = make_client(web.url())->login_password("alice", "pw");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::not_a_homeserver) << result.error().message;
  expect_one_line(result.error());

  CannedHttpServer page("200 OK", "text/html", "<html></html>");
  auto ok_page = make_client(page.url())->login_password("alice", "pw");
  ASSERT_FALSE(ok_page.ok());
  EXPECT_EQ(ok_page.error().code, ErrorCode::not_a_homeserver) << ok_page.error().message;
}

TEST(Errors, TlsToAPlainHttpServer) {
  auto url = SynapseEnvironment::server().url();
  auto result = make_client("https" + url.substr(4))->login_password("alice", "pw");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::tls_failure) << result.error().message;
  expect_one_line(result.error());
}

// A real TLS server with a self-signed certificate: verification is on by default, so the client must refuse it.
TEST(Errors, TlsSelfSignedCertificateRefused) {
  auto dir = std::filesystem::temp_directory_path() / ("mxcall-tls-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string key = (dir / "key.pem").string(), cert = (dir / "cert.pem").string();
  std::string req =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj "
      "/CN=127.0.0.1 -keyout " +
      key + " -out " + cert + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(req.c_str()), 0) << "openssl is needed (scripts/deps/matrix.list)";
  int port = free_port();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    int null_fd = ::open("/dev/null", O_RDWR);
    ::dup2(null_fd, 0);
    ::dup2(null_fd, 1);
    ::dup2(null_fd, 2);
    std::string accept = "127.0.0.1:" + std::to_string(port);
    ::execlp("openssl", "openssl", "s_server", "-accept", accept.c_str(), "-cert", cert.c_str(), "-key", key.c_str(),
             "-www", "-quiet", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ASSERT_GT(pid, 0);
  auto client = make_client("https://127.0.0.1:" + std::to_string(port));
  matrix::Result<matrix::Session> result = matrix::Error{};
  for (int i = 0; i < 50; ++i) {  // until s_server listens
    result = client->login_password("alice", "pw");
    if (result.ok() || result.error().code != ErrorCode::unreachable) break;
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  // The same server is trusted once its certificate is given as the CA file: the TLS handshake then succeeds.
  auto config = test_config("https://127.0.0.1:" + std::to_string(port));
  config.ca_file = cert;
  config.retry.max_attempts = 1;
  config.request_timeout = std::chrono::milliseconds{3000};
  auto trusted = matrix::Client(config).api("GET", "/_matrix/client/versions", {}, false);
  ::kill(-pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  std::filesystem::remove_all(dir);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::tls_failure) << result.error().message;
  EXPECT_NE(result.error().message.find("certificate"), std::string::npos) << result.error().message;
  expect_one_line(result.error());
  EXPECT_TRUE(trusted.ok()) << trusted.error().message;
}

TEST(Retry, ServerErrorsAreBoundedInCountAndTime) {
  CannedHttpServer failing("503 Service Unavailable", "application/json",
                           R"({"errcode":"M_UNKNOWN","error":"overloaded"})");
  auto config = test_config(failing.url());
  config.retry.max_attempts = 4;
  config.retry.initial_backoff = std::chrono::milliseconds{50};
  matrix::Client client(config);
  auto start = std::chrono::steady_clock::now();
  auto result = client.api("GET", "/_matrix/client/versions", {}, false);
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::server_error);
  EXPECT_EQ(client.stats().requests, 4u);
  EXPECT_NE(result.error().message.find("gave up after 4 attempts"), std::string::npos) << result.error().message;
  EXPECT_LT(elapsed, std::chrono::seconds{2});

  config.retry.max_attempts = 100;  // now the time budget ends it
  config.retry.max_total = std::chrono::milliseconds{1500};
  config.retry.max_backoff = std::chrono::milliseconds{200};
  matrix::Client patient(config);
  start = std::chrono::steady_clock::now();
  auto timed = patient.api("GET", "/_matrix/client/versions", {}, false);
  elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(timed.ok());
  EXPECT_LT(elapsed, std::chrono::milliseconds{2500});
  EXPECT_LT(patient.stats().requests, 100u);
}

TEST(Retry, RetryAfterLongerThanTheBudgetEndsAtOnce) {
  CannedHttpServer limited("429 Too Many Requests", "application/json",
                           R"({"errcode":"M_LIMIT_EXCEEDED","error":"slow down","retry_after_ms":600000})");
  matrix::Client client(test_config(limited.url()));
  auto result = client.api("GET", "/_matrix/client/versions", {}, false);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::rate_limited);
  EXPECT_EQ(client.stats().requests, 1u);
  expect_one_line(result.error());
}

TEST(Syncer, StopsAndReportsARevokedToken) {
  auto alice = new_user("alice");
  auto stale = make_client();
  stale->set_session(alice.client->session());
  ASSERT_TRUE(alice.client->logout().ok());
  std::atomic<int> errors{0};
  matrix::ErrorCode code{};
  matrix::Syncer syncer(
      *stale, [](const matrix::SyncBatch&) {},
      [&](const matrix::Error& e) {
        code = e.code;
        ++errors;
      });
  syncer.start();
  for (int i = 0; i < 100 && errors == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds{50});
  syncer.stop();
  EXPECT_EQ(errors, 1);
  EXPECT_EQ(code, ErrorCode::token_revoked);
}

TEST(Errors, RevokedToken) {
  auto alice = new_user("alice");
  auto old_session = alice.client->session();
  ASSERT_TRUE(alice.client->logout().ok());
  auto stale = make_client();
  stale->set_session(old_session);
  auto result = stale->whoami();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::token_revoked) << result.error().message;
  EXPECT_NE(result.error().message.find("log in again"), std::string::npos);
  expect_one_line(result.error());
  auto synced = stale->sync();
  ASSERT_FALSE(synced.ok());
  EXPECT_EQ(synced.error().code, ErrorCode::token_revoked);
}

TEST(Session, SavedWith0600AndResumed) {
  auto dir = std::filesystem::temp_directory_path() / ("mxcall-session-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = (dir / "session.json").string();
  auto config = test_config();
  config.session_path = path;
  auto old_umask = ::umask(022);
  auto alice = new_user("alice", config);
  ::umask(old_umask);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto first_txn = alice.client->next_txn_id();
  auto batch = alice.client->sync();
  ASSERT_TRUE(batch.ok()) << batch.error().message;
  ASSERT_TRUE(alice.client->commit(*batch).ok());
  auto saved = alice.client->session();

  matrix::Client restarted(config);
  auto resumed = restarted.resume();
  ASSERT_TRUE(resumed.ok()) << resumed.error().message;
  EXPECT_EQ(resumed->user_id, saved.user_id);
  EXPECT_EQ(resumed->device_id, saved.device_id);
  EXPECT_EQ(resumed->since, batch->next_batch);
  // The transaction numbers continue past every number the first process could have used.
  auto number = [](const std::string& txn) { return std::stoull(txn.substr(2, txn.find('.') - 2)); };
  EXPECT_GT(number(restarted.next_txn_id()), number(first_txn));
  auto next = restarted.sync(matrix::SyncOptions{std::chrono::milliseconds{0}, false, nullptr});
  ASSERT_TRUE(next.ok()) << next.error().message;
  EXPECT_FALSE(next->initial());

  ::chmod(path.c_str(), 0644);
  matrix::Client careless(config);
  auto refused = careless.resume();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::io_error);
  EXPECT_NE(refused.error().message.find("chmod 600"), std::string::npos) << refused.error().message;
  std::filesystem::remove_all(dir);
}

TEST(Rooms, DirectMessageHelpers) {
  auto alice = new_user("alice");
  auto bob = new_user("bob");
  auto none = alice.client->find_dm(bob.user_id);
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_FALSE(none->has_value());

  auto room = alice.client->create_dm(bob.user_id);
  ASSERT_TRUE(room.ok()) << room.error().message;
  auto found = alice.client->find_dm(bob.user_id);  // bob is invited: that counts
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_EQ(found->value_or(""), *room);
  auto only_invited = alice.client->direct_peer(*room);  // glare needs a joined peer
  ASSERT_TRUE(only_invited.ok()) << only_invited.error().message;
  EXPECT_FALSE(only_invited->has_value());

  bool invited = sync_until(*bob.client, [&](const matrix::SyncBatch& batch) {
    for (const auto& r : batch.rooms) {
      if (r.room_id == *room && r.membership == matrix::Membership::invite) {
        EXPECT_EQ(r.inviter, alice.user_id);
        EXPECT_TRUE(r.is_direct);
        return true;
      }
    }
    return false;
  });
  ASSERT_TRUE(invited);
  ASSERT_TRUE(bob.client->join(*room).ok());
  ASSERT_TRUE(bob.client->add_direct(alice.user_id, *room).ok());
  auto bobs = bob.client->find_dm(alice.user_id);
  ASSERT_TRUE(bobs.ok());
  EXPECT_EQ(bobs->value_or(""), *room);
  // Joined, both listing it in m.direct: each is the other's direct peer (glare by room id, rule 58).
  auto peer = alice.client->direct_peer(*room);
  ASSERT_TRUE(peer.ok()) << peer.error().message;
  EXPECT_EQ(peer->value_or(""), bob.user_id);
  EXPECT_EQ(bob.client->direct_peer(*room)->value_or(""), alice.user_id);
  auto group = alice.client->create_room(R"({"preset":"private_chat"})");
  ASSERT_TRUE(group.ok()) << group.error().message;
  EXPECT_FALSE(alice.client->direct_peer(*group)->has_value());  // not in m.direct

  // After bob leaves, the room is no DM with bob any more, and alice's sync names him as gone.
  ASSERT_TRUE(alice.client->commit(*alice.client->sync()).ok());
  ASSERT_TRUE(bob.client->leave(*room).ok());
  ASSERT_TRUE(sync_until(*alice.client, [&](const matrix::SyncBatch& batch) {
    for (const auto& r : batch.rooms) {
      if (r.room_id == *room && !r.members_left.empty()) return r.members_left[0] == bob.user_id;
    }
    return false;
  }));
  auto gone = alice.client->find_dm(bob.user_id);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  auto left = alice.client->direct_peer(*room);
  ASSERT_TRUE(left.ok()) << left.error().message;
  EXPECT_FALSE(left->has_value());

  auto carol = new_user("carol");
  auto invite = alice.client->invite(*room, carol.user_id);
  EXPECT_TRUE(invite.ok()) << invite.error().message;
}

TEST(Turn, FetchedAndRefreshedBeforeExpiry) {
  auto alice = new_user("alice");
  matrix::TurnRefresher turn(*alice.client);
  auto t0 = matrix::TurnRefresher::Clock::now();
  ASSERT_TRUE(turn.poll(t0));
  ASSERT_EQ(turn.state(), matrix::TurnState::available) << (turn.last_error() ? turn.last_error()->message : "");
  auto first = turn.current(t0);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->uris.size(), 2u);
  EXPECT_EQ(first->ttl, std::chrono::seconds{6});
  EXPECT_NE(first->username.find(":" + alice.user_id), std::string::npos) << first->username;
  EXPECT_FALSE(first->password.empty());
  // Refetched at half the ttl (the 10-minute margin is capped for short ttls), not before.
  EXPECT_EQ(turn.next_poll(), t0 + std::chrono::seconds{3});
  EXPECT_FALSE(turn.poll(t0 + std::chrono::seconds{2}));
  EXPECT_FALSE(turn.current(t0 + std::chrono::seconds{6}).has_value());  // expired credentials are not offered

  std::this_thread::sleep_for(std::chrono::milliseconds{1100});  // the username carries an expiry in seconds
  ASSERT_TRUE(turn.poll(t0 + std::chrono::seconds{3}));
  auto second = turn.current(t0 + std::chrono::seconds{3});
  ASSERT_TRUE(second.has_value());
  EXPECT_NE(second->username, first->username);
  EXPECT_EQ(turn.fetches(), 2);
}

TEST(Turn, ForbiddenStopsPolling) {
  CannedHttpServer server("403 Forbidden", "application/json",
                          R"({"errcode":"M_FORBIDDEN","error":"Guest access is disabled"})");
  auto client = make_client(server.url());
  client->set_session(matrix::Session{server.url(), "@guest:localhost", "D", "token", "", 0});
  matrix::TurnRefresher turn(*client);
  auto now = matrix::TurnRefresher::Clock::now();
  EXPECT_TRUE(turn.poll(now));
  EXPECT_EQ(turn.state(), matrix::TurnState::stopped);
  EXPECT_FALSE(turn.poll(now + std::chrono::hours{24}));
  EXPECT_EQ(turn.fetches(), 1);
}

TEST(Turn, TolerantParser) {
  auto empty = matrix::parse_turn_server("{}");
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->available());
  auto blanks = matrix::parse_turn_server(R"({"username":"","password":"","uris":[],"ttl":0})");
  ASSERT_TRUE(blanks.ok());
  EXPECT_FALSE(blanks->available());
  auto odd = matrix::parse_turn_server(R"({"username":5,"uris":["stun:x", 7, "turns:h:443?transport=tcp"],"ttl":"1"})");
  ASSERT_TRUE(odd.ok());
  ASSERT_EQ(odd->uris.size(), 1u);
  EXPECT_EQ(odd->uris[0], "turns:h:443?transport=tcp");
  EXPECT_EQ(odd->ttl.count(), 0);
  EXPECT_FALSE(matrix::parse_turn_server("[]").ok());
  EXPECT_FALSE(matrix::parse_turn_server("<html>").ok());
}

}  // namespace
}  // namespace mxcall::testing
