#include "synapse_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "mxcall/matrix/client.hpp"

#ifndef MXCALL_SYNAPSE_PYTHON
#error "MXCALL_SYNAPSE_PYTHON (the venv's python) must be defined by the build"
#endif

namespace mxcall::testing {

using nlohmann::json;
namespace fs = std::filesystem;

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

namespace {

std::string random_base64(std::size_t bytes, bool pad) {
  std::vector<unsigned char> raw(bytes);
  RAND_bytes(raw.data(), static_cast<int>(raw.size()));
  std::string out(4 * ((bytes + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), raw.data(), static_cast<int>(raw.size()));
  out.resize(static_cast<std::size_t>(n));
  if (!pad) {
    while (!out.empty() && out.back() == '=') out.pop_back();
  }
  return out;
}

std::string hmac_sha1_hex(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  std::size_t len = 0;
  EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA1", nullptr, key.data(), key.size(),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, sizeof mac, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (std::size_t i = 0; i < len; ++i) {
    hex += kHex[mac[i] >> 4];
    hex += kHex[mac[i] & 15];
  }
  return hex;
}

constexpr const char* kSharedSecret = "mxcall-test-registration-secret";
constexpr const char* kTurnSecret = "mxcall-test-turn-secret";

json generous(double per_second = 1000, int burst = 1000) {
  return json{{"per_second", per_second}, {"burst_count", burst}};
}

}  // namespace

SynapseServer::SynapseServer(SynapseOptions options) : options_(std::move(options)) {
  char tmpl[] = "/tmp/mxcall-synapse-XXXXXX";
  if (char* made = ::mkdtemp(tmpl)) dir_ = made;
  port_ = free_port();
  write_config();
}

SynapseServer::~SynapseServer() {
  stop();
  if (!dir_.empty() && std::getenv("MXCALL_KEEP_SYNAPSE") == nullptr) {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
}

void SynapseServer::write_config() {
  json listener = {{"port", port_},        {"bind_addresses", {"127.0.0.1"}},
                   {"type", "http"},       {"tls", false},
                   {"x_forwarded", false}, {"resources", {{{"names", {"client"}}, {"compress", false}}}}};
  json config = {
      {"server_name", options_.server_name},
      {"pid_file", dir_ + "/homeserver.pid"},
      {"public_baseurl", url() + "/"},
      {"listeners", {listener}},
      {"database", {{"name", "sqlite3"}, {"args", {{"database", dir_ + "/homeserver.db"}}}}},
      {"log_config", dir_ + "/log.yaml"},
      {"media_store_path", dir_ + "/media"},
      {"signing_key_path", dir_ + "/signing.key"},
      // Nothing may leave 127.0.0.1: no key servers, no federation, no stats, no previews, no metrics.
      {"trusted_key_servers", json::array()},
      {"suppress_key_server_warning", true},
      {"federation_domain_whitelist", json::array()},
      {"report_stats", false},
      {"url_preview_enabled", false},
      {"enable_metrics", false},
      {"enable_registration", false},
      {"registration_shared_secret", kSharedSecret},
      {"macaroon_secret_key", random_base64(24, true)},
      {"form_secret", random_base64(24, true)},
      {"bcrypt_rounds", 4},
      {"login_via_existing_session", {{"enabled", true}, {"require_ui_auth", false}, {"token_timeout", "5m"}}},
      {"rc_message", generous(options_.message_per_second, options_.message_burst)},
      {"rc_login", {{"address", generous()}, {"account", generous()}, {"failed_attempts", generous()}}},
      {"rc_joins", {{"local", generous()}, {"remote", generous()}}},
      {"rc_joins_per_room", generous()},
      {"rc_invites", {{"per_room", generous()}, {"per_user", generous()}, {"per_issuer", generous()}}},
      {"rc_registration", generous()},
      {"rc_room_creation", generous()},
      {"rc_presence", {{"per_user", generous()}}},
      {"rc_delayed_event_mgmt", generous()},
      {"rc_admin_redaction", generous()},
  };
  if (options_.turn) {
    config["turn_uris"] = {"turn:127.0.0.1:3478?transport=udp", "turn:127.0.0.1:3478?transport=tcp"};
    config["turn_shared_secret"] = kTurnSecret;
    config["turn_user_lifetime"] = options_.turn_user_lifetime;
    config["turn_allow_guests"] = false;
  }
  // YAML is a superset of JSON, so the JSON text is a valid homeserver.yaml with no quoting pitfalls.
  std::ofstream(dir_ + "/homeserver.yaml") << config.dump(2) << "\n";
  json logging = {
      {"version", 1},
      {"formatters", {{"precise", {{"format", "%(asctime)s %(name)s %(levelname)s %(message)s"}}}}},
      {"handlers",
       {{"file",
         {{"class", "logging.FileHandler"}, {"formatter", "precise"}, {"filename", dir_ + "/homeserver.log"}}}}},
      {"root", {{"level", "INFO"}, {"handlers", {"file"}}}},
      {"disable_existing_loggers", false}};
  std::ofstream(dir_ + "/log.yaml") << logging.dump(2) << "\n";
  if (!fs::exists(dir_ + "/signing.key")) {
    std::ofstream(dir_ + "/signing.key") << "ed25519 a_mxcall " << random_base64(32, false) << "\n";
  }
}

bool SynapseServer::start(std::string* error, std::chrono::seconds wait) {
  if (pid_ > 0) return true;
  std::string python =
      std::getenv("MXCALL_SYNAPSE_PYTHON") != nullptr ? std::getenv("MXCALL_SYNAPSE_PYTHON") : MXCALL_SYNAPSE_PYTHON;
  if (::access(python.c_str(), X_OK) != 0) {
    *error = "no Python venv at " + python + ": run scripts/setup-venv.sh (outside the network namespace) first";
    return false;
  }
  std::string config = dir_ + "/homeserver.yaml";
  std::string out = dir_ + "/stdout.log";
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    *error = "fork failed";
    return false;
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    if (::chdir(dir_.c_str()) != 0) ::_exit(127);
    const char* argv[] = {python.c_str(), "-m", "synapse.app.homeserver", "-c", config.c_str(), nullptr};
    ::execv(python.c_str(), const_cast<char* const*>(argv));
    ::_exit(127);
  }
  ::setpgid(pid, pid);
  pid_ = pid;

  matrix::ClientConfig probe_config;
  probe_config.homeserver = url();
  probe_config.retry.max_attempts = 1;
  probe_config.request_timeout = std::chrono::milliseconds{2000};
  matrix::Client probe(probe_config);
  auto deadline = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      *error = "Synapse exited during start-up (status " + std::to_string(status) + "):\n" + log_tail();
      return false;
    }
    if (auto versions = probe.api("GET", "/_matrix/client/versions", {}, false)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  *error = "Synapse did not answer within " + std::to_string(wait.count()) + " s:\n" + log_tail();
  stop();
  return false;
}

void SynapseServer::stop() {
  if (pid_ <= 0) return;
  ::kill(-pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{15};
  int status = 0;
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(-pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  // Anything else left in the group (Synapse starts none today) goes too.
  ::kill(-pid_, SIGKILL);
  pid_ = -1;
}

bool SynapseServer::register_user(const std::string& localpart, const std::string& password, std::string* error,
                                  bool admin) {
  matrix::ClientConfig config;
  config.homeserver = url();
  matrix::Client client(config);
  auto nonce_reply = client.api("GET", "/_synapse/admin/v1/register", {}, false);
  if (!nonce_reply) {
    *error = nonce_reply.error().message;
    return false;
  }
  std::string nonce = json::parse(nonce_reply->body).value("nonce", "");
  std::string mac_input = nonce + '\0' + localpart + '\0' + password + '\0' + (admin ? "admin" : "notadmin");
  json body = {{"nonce", nonce},
               {"username", localpart},
               {"password", password},
               {"admin", admin},
               {"mac", hmac_sha1_hex(kSharedSecret, mac_input)}};
  auto reply = client.api("POST", "/_synapse/admin/v1/register", body.dump(), false);
  if (!reply) {
    *error = reply.error().message;
    return false;
  }
  return true;
}

bool SynapseServer::override_ratelimit(const std::string& target, int per_second, int burst, std::string* error) {
  matrix::ClientConfig config;
  config.homeserver = url();
  matrix::Client admin(config);
  if (admin_token_.empty()) {
    const std::string password = "mxcall-admin-password";
    if (!register_user("mxcall-admin", password, error, /*admin=*/true)) return false;
    auto session = admin.login_password("mxcall-admin", password);
    if (!session) {
      *error = session.error().message;
      return false;
    }
    admin_token_ = session->access_token;
  } else {
    admin.set_session(matrix::Session{url(), "@mxcall-admin:" + options_.server_name, "", admin_token_, "", 0});
  }
  json body = {{"messages_per_second", per_second}, {"burst_count", burst}};
  auto reply = admin.api("POST", "/_synapse/admin/v1/users/" + matrix::Client::escape(target) + "/override_ratelimit",
                         body.dump());
  if (!reply) {
    *error = reply.error().message;
    return false;
  }
  return true;
}

std::string SynapseServer::log_tail(int lines) const {
  std::string text;
  for (const char* name : {"/stdout.log", "/homeserver.log"}) {
    std::ifstream in(dir_ + name);
    std::deque<std::string> tail;
    for (std::string line; std::getline(in, line);) {
      tail.push_back(line);
      if (static_cast<int>(tail.size()) > lines) tail.pop_front();
    }
    text += std::string("--- ") + dir_ + name + "\n";
    for (const auto& line : tail) text += line + "\n";
  }
  return text;
}

namespace {
std::unique_ptr<SynapseServer> g_server;
}

void SynapseEnvironment::SetUp() {
  g_server = std::make_unique<SynapseServer>(options_);
  std::string error;
  ASSERT_TRUE(g_server->start(&error)) << error;
}

void SynapseEnvironment::TearDown() {
  if (g_server && ::testing::UnitTest::GetInstance()->failed_test_count() > 0) {
    std::fprintf(stderr, "Synapse log (tests failed):\n%s\n", g_server->log_tail(60).c_str());
  }
  g_server.reset();
}

SynapseServer& SynapseEnvironment::server() { return *g_server; }

}  // namespace mxcall::testing
