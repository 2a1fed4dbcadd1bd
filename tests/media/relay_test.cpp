// A relay-only call through a real TURN server (Debian's coturn) on 127.0.0.1, with the time-limited credentials a
// Synapse homeserver hands out (turn_shared_secret): username "<expiry>:<user>", password
// base64(HMAC-SHA1(secret, username)).
#include <glib.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "media_harness.hpp"

extern char** environ;

namespace mxcall::media::test {
namespace {
using namespace std::chrono_literals;

// coturn as a child of this test, stopped by the destructor whether the test passed or not (and killed by the
// kernel if this process dies first: PR_SET_PDEATHSIG).
class Coturn {
 public:
  explicit Coturn(std::string secret) : secret_(std::move(secret)) {
    // Tests may run in parallel in one namespace: a port range of our own, derived from the pid.
    port_ = 20000 + static_cast<int>(getpid() % 2000) * 10;
    std::vector<std::string> args = {"/usr/bin/turnserver",
                                     "-n",  // no configuration file: nothing from /etc applies
                                     "--listening-ip=127.0.0.1",
                                     "--relay-ip=127.0.0.1",
                                     "--listening-port=" + std::to_string(port_),
                                     "--min-port=" + std::to_string(port_ + 1),
                                     "--max-port=" + std::to_string(port_ + 9),
                                     "--use-auth-secret",
                                     "--static-auth-secret=" + secret_,
                                     "--realm=mxcall.test",
                                     "--allow-loopback-peers",  // both parties are on 127.0.0.1
                                     "--no-cli",
                                     "--no-tls",
                                     "--no-dtls",
                                     "--fingerprint",
                                     "--simple-log",
                                     "--verbose",
                                     "--no-stdout-log",
                                     "--log-file=" + dir_ + "/turn.log",
                                     "--userdb=" + dir_ + "/turndb",
                                     "--pidfile=" + dir_ + "/turn.pid"};
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execve(argv[0], argv.data(), environ);
      _exit(127);
    }
  }

  ~Coturn() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    for (int i = 0; i < 50; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = 0;
        break;
      }
      std::this_thread::sleep_for(100ms);
    }
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  Coturn(const Coturn&) = delete;
  Coturn& operator=(const Coturn&) = delete;

  bool wait_ready(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = 0;
        return false;
      }
      if (log().find("Total General servers") != std::string::npos) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  std::string log() const {
    std::ifstream in(dir_ + "/turn.log");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  // What GET /_matrix/client/v3/voip/turnServer returns for `user`, valid for `ttl` seconds.
  IceServer credentials(const std::string& user, long ttl = 3600) const {
    std::string username = std::to_string(std::time(nullptr) + ttl) + ":" + user;
    GHmac* hmac = g_hmac_new(G_CHECKSUM_SHA1, reinterpret_cast<const guchar*>(secret_.data()), secret_.size());
    g_hmac_update(hmac, reinterpret_cast<const guchar*>(username.data()), static_cast<gssize>(username.size()));
    guint8 digest[20];
    gsize length = sizeof digest;
    g_hmac_get_digest(hmac, digest, &length);
    g_hmac_unref(hmac);
    gchar* password = g_base64_encode(digest, length);
    IceServer server{{"turn:127.0.0.1:" + std::to_string(port_) + "?transport=udp"}, username, password};
    g_free(password);
    return server;
  }

 private:
  std::string secret_;
  TempDir tmp_;
  const std::string& dir_ = tmp_.path;
  int port_ = 0;
  pid_t pid_ = -1;
};

TEST(GstRelay, RelayOnlyCallThroughCoturnWithTimeLimitedCredentials) {
  Coturn turn("mxcall-test-secret");
  ASSERT_TRUE(turn.wait_ready(10s)) << "coturn did not start:\n" << turn.log();

  SessionConfig config;
  config.ice_servers = {turn.credentials("@alice:test")};
  config.relay_only = true;
  Pair call(tone_options(440), tone_options(1000), config);
  ASSERT_TRUE(call.connect(15s)) << describe(call) << turn.log();
  ASSERT_TRUE(call.pump_until(
      [&] {
        return call.a.counters().audio_samples_decoded > 48000 && call.b.counters().audio_samples_decoded > 48000;
      },
      10s))
      << describe(call);
  SessionStats stats = call.a.session->stats();
  EXPECT_NE(stats.candidate_pair.find("relay"), std::string::npos) << stats.candidate_pair;
  // The relay candidate reached the peer: inside the offer when the allocation beat the gathering wait (rule 30),
  // else trickled.
  EXPECT_TRUE(call.a.candidates > 0 || call.a.descriptions.at(0).sdp.find("typ relay") != std::string::npos)
      << call.a.descriptions.at(0).sdp;
  // Relay-only: we never offered a host candidate.
  for (const auto& d : call.a.descriptions) EXPECT_EQ(d.sdp.find("typ host"), std::string::npos);
  std::string log = turn.log();
  std::cout << "relayed pair: " << stats.candidate_pair << "\n";
  // coturn saw both parties allocate with the time-limited username.
  EXPECT_NE(log.find(":@alice:test>, lifetime"), std::string::npos) << log;
  EXPECT_NE(log.find("ALLOCATE processed, success"), std::string::npos) << log;
}

TEST(GstRelay, WrongTurnSecretMeansNoRelayCandidatesAndNoConnection) {
  Coturn turn("the-real-secret");
  ASSERT_TRUE(turn.wait_ready(10s)) << turn.log();
  IceServer bad = turn.credentials("@alice:test");
  bad.credential = "bm90IHRoZSByaWdodCBwYXNzd29yZA==";
  SessionConfig config;
  config.ice_servers = {bad};
  config.relay_only = true;
  Pair call(tone_options(440), tone_options(1000), config);
  call.negotiate(call.a, false, 5s);
  call.pump_for(3s);
  EXPECT_FALSE(call.a.connected() && call.b.connected()) << describe(call);
  EXPECT_EQ(call.a.candidates, 0) << describe(call);
  for (const auto& d : call.a.descriptions) EXPECT_EQ(d.sdp.find("a=candidate"), std::string::npos) << d.sdp;
}

}  // namespace
}  // namespace mxcall::media::test
