#include "net_helpers.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <string_view>

namespace mxcall::testing {
namespace {

int listen_loopback(int* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 64) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return -1;
  }
  *port = ntohs(addr.sin_port);
  return fd;
}

// Waits up to 100 ms for a connection, so the accept loops notice stop_ promptly.
int accept_some(int listen_fd) {
  pollfd p{listen_fd, POLLIN, 0};
  if (::poll(&p, 1, 100) <= 0) return -1;
  return ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
}

int connect_loopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

CannedHttpServer::CannedHttpServer(const std::string& status, const std::string& content_type, const std::string& body)
    : response_("HTTP/1.1 " + status + "\r\nContent-Type: " + content_type +
                "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body) {
  listen_fd_ = listen_loopback(&port_);
  thread_ = std::thread([this] { run(); });
}

CannedHttpServer::~CannedHttpServer() {
  stop_ = true;
  thread_.join();
  ::close(listen_fd_);
}

void CannedHttpServer::run() {
  while (!stop_) {
    int fd = accept_some(listen_fd_);
    if (fd < 0) continue;
    std::string request;
    char buffer[4096];
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{2};
    while (request.find("\r\n\r\n") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      request.append(buffer, static_cast<std::size_t>(n));
    }
    write_all(fd, response_.data(), response_.size());
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
  }
}

DroppingProxy::DroppingProxy(int upstream_port) : upstream_port_(upstream_port) {
  listen_fd_ = listen_loopback(&port_);
  thread_ = std::thread([this] { run(); });
}

DroppingProxy::~DroppingProxy() {
  stop_ = true;
  thread_.join();
  for (auto& t : pipes_) t.join();
  ::close(listen_fd_);
}

void DroppingProxy::drop_replies(const std::string& needle, int count) {
  std::lock_guard lock(mutex_);
  needle_ = needle;
  remaining_ = count;
}

void DroppingProxy::run() {
  while (!stop_) {
    int fd = accept_some(listen_fd_);
    if (fd < 0) continue;
    pipes_.emplace_back([this, fd] { pipe(fd); });
  }
}

void DroppingProxy::pipe(int client_fd) {
  int upstream_fd = connect_loopback(upstream_port_);
  char buffer[65536];
  bool open = upstream_fd >= 0;
  // Once a reply is to be dropped: keep forwarding what the client still sends (the body may follow the head), hold
  // back everything the server answers, and hang up on the client after the server has had time to store the event.
  std::optional<std::chrono::steady_clock::time_point> hang_up_at;
  while (open && !stop_) {
    if (hang_up_at && std::chrono::steady_clock::now() >= *hang_up_at) {
      ++dropped_;
      break;
    }
    pollfd fds[2] = {{client_fd, POLLIN, 0}, {upstream_fd, POLLIN, 0}};
    if (::poll(fds, 2, 50) <= 0) continue;
    if (fds[0].revents != 0) {
      ssize_t n = ::recv(client_fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      std::string_view chunk(buffer, static_cast<std::size_t>(n));
      {
        std::lock_guard lock(mutex_);
        auto line_end = chunk.find("\r\n");
        if (!hang_up_at && remaining_ > 0 && chunk.substr(0, line_end).find(needle_) != std::string_view::npos) {
          --remaining_;
          hang_up_at = std::chrono::steady_clock::now() + std::chrono::milliseconds{500};
        }
      }
      if (!write_all(upstream_fd, buffer, static_cast<std::size_t>(n))) break;
    }
    if (fds[1].revents != 0) {
      ssize_t n = ::recv(upstream_fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      if (!hang_up_at && !write_all(client_fd, buffer, static_cast<std::size_t>(n))) break;
    }
  }
  ::close(client_fd);
  if (upstream_fd >= 0) ::close(upstream_fd);
}

}  // namespace mxcall::testing
