// Small loopback servers for the failure tests: a server that answers every request with one canned reply (a web
// server that is not a homeserver), and a TCP proxy in front of Synapse that can swallow the reply to a request
// after forwarding it (the "request arrived, answer lost" case that transaction ids exist for).
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mxcall::testing {

class CannedHttpServer {
 public:
  CannedHttpServer(const std::string& status, const std::string& content_type, const std::string& body);
  ~CannedHttpServer();
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  void run();
  std::string response_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class DroppingProxy {
 public:
  explicit DroppingProxy(int upstream_port);
  ~DroppingProxy();
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // The next `count` requests whose first line contains `needle` reach the server, and then the client's connection
  // is closed before the reply comes back.
  void drop_replies(const std::string& needle, int count);
  int dropped() const { return dropped_; }

 private:
  void run();
  void pipe(int client_fd);
  int upstream_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::string needle_;
  int remaining_ = 0;
  std::atomic<int> dropped_{0};
  std::thread thread_;
  std::vector<std::thread> pipes_;
};

}  // namespace mxcall::testing
