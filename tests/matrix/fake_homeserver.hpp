// A scripted homeserver on 127.0.0.1 for the hostile-server tests: each request is handed to the test's handler
// with the connection, so a reply can be anything (a huge streamed body, a 429 with an absurd wait, a deep /sync).
// One request per connection (Connection: close), served one at a time on the server's own thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "mxcall/matrix/client.hpp"
#include "mxcall/matrix/syncer.hpp"

namespace mxcall::testing {

class FakeHomeserver {
 public:
  // `request_line` is e.g. "GET /_matrix/client/v3/sync?... HTTP/1.1"; the handler writes the reply to `fd`.
  using Handler = std::function<void(const std::string& request_line, int fd)>;
  explicit FakeHomeserver(Handler handler);
  ~FakeHomeserver();
  FakeHomeserver(const FakeHomeserver&) = delete;
  FakeHomeserver& operator=(const FakeHomeserver&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_; }

  // Helpers for handlers. Each returns false once the client has gone away.
  static bool send_all(int fd, std::string_view data);
  static bool reply(int fd, int status, std::string_view body, std::string_view extra_headers = {});
  // A 200 whose body is `bytes` spaces, streamed in 64 KiB pieces without a Content-Length.
  static bool stream_body(int fd, std::size_t bytes);

 private:
  void run();
  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

// A client of `server_url` signed in as @me:hs, as after a login (no request is made).
std::unique_ptr<matrix::Client> logged_in_client(const std::string& server_url, matrix::ClientConfig config = {});

// A Syncer with `options` (poll_timeout 0) run for `duration` against a server that answers every /sync at once with
// a new, empty batch. Returns the batches delivered; `requests` gets the server's count.
int syncs_from_instant_server(matrix::SyncerOptions options, std::chrono::milliseconds duration,
                              int* requests = nullptr);

// The peak resident set of this process so far, in KiB.
long peak_rss_kb();

}  // namespace mxcall::testing
