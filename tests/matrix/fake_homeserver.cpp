#include "fake_homeserver.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace mxcall::testing {

std::unique_ptr<matrix::Client> logged_in_client(const std::string& server_url, matrix::ClientConfig config) {
  config.homeserver = server_url;
  auto client = std::make_unique<matrix::Client>(config);
  matrix::Session session;
  session.homeserver = server_url;
  session.user_id = "@me:hs";
  session.access_token = "secret-token";
  client->set_session(session);
  return client;
}

int syncs_from_instant_server(matrix::SyncerOptions options, std::chrono::milliseconds duration, int* requests) {
  std::atomic<int> n{0};
  FakeHomeserver server([&](const std::string&, int fd) {
    FakeHomeserver::reply(fd, 200, R"({"next_batch":"s)" + std::to_string(++n) + R"("})");
  });
  auto client = logged_in_client(server.url());
  std::atomic<int> batches{0};
  options.poll_timeout = std::chrono::milliseconds(0);
  matrix::Syncer syncer(
      *client, [&](const matrix::SyncBatch&) { ++batches; }, {}, options);
  syncer.start();
  std::this_thread::sleep_for(duration);
  syncer.stop();
  if (requests) *requests = server.requests();
  return batches.load();
}

long peak_rss_kb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

FakeHomeserver::FakeHomeserver(Handler handler) : handler_(std::move(handler)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 16) != 0 || ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (listen_fd_ >= 0) ::close(listen_fd_);
    throw std::runtime_error("cannot listen on 127.0.0.1");
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { run(); });
}

FakeHomeserver::~FakeHomeserver() {
  stop_ = true;
  thread_.join();
  ::close(listen_fd_);
}

bool FakeHomeserver::send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool FakeHomeserver::reply(int fd, int status, std::string_view body, std::string_view extra_headers) {
  std::string head = "HTTP/1.1 " + std::to_string(status) +
                     " X\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                     "\r\nConnection: close\r\n" + std::string(extra_headers) + "\r\n";
  return send_all(fd, head) && send_all(fd, body);
}

bool FakeHomeserver::stream_body(int fd, std::size_t bytes) {
  if (!send_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n")) return false;
  std::string chunk(1 << 16, ' ');
  for (std::size_t sent = 0; sent < bytes; sent += chunk.size()) {
    if (!send_all(fd, chunk)) return false;
  }
  return true;
}

void FakeHomeserver::run() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    // Read the head (and drop any body): the handlers decide on the request line alone.
    std::string head;
    char buffer[4096];
    while (head.find("\r\n\r\n") == std::string::npos && head.size() < 65536) {
      pollfd c{fd, POLLIN, 0};
      if (::poll(&c, 1, 2000) <= 0) break;
      ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      head.append(buffer, static_cast<std::size_t>(n));
    }
    ++requests_;
    handler_(head.substr(0, head.find("\r\n")), fd);
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
  }
}

}  // namespace mxcall::testing
