// One device in a whole-call test: a real homeserver client (Client, SendQueue) in front of the call engine
// (protocol::Router) and the fake media engine, bound the way the runtime binds them: each /sync batch is read whole
// and fed to the router, its SendEvents go to the send queue, its MediaCommands to the fake engine, whose events go
// back to the router. Only signalling is real; the fake engine connects once both descriptions are set.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "mxcall/matrix/client.hpp"
#include "mxcall/matrix/send_queue.hpp"
#include "mxcall/media/fake_media_engine.hpp"
#include "mxcall/protocol/event_reader.hpp"
#include "mxcall/protocol/router.hpp"

namespace mxcall::testing {

class Phone final : public media::MediaEventSink {
 public:
  // `client` must be logged in. The party id is the device id.
  explicit Phone(matrix::Client& client, protocol::Timeouts timeouts = {});
  ~Phone() override;

  void on_media_event(protocol::MediaEvent event) override { pending_.push_back(std::move(event)); }

  // One sync (long-poll up to `poll_ms`), the whole batch to the router, outputs executed, due timers fired.
  bool step(int poll_ms = 200);
  void act(const protocol::UserAction& action);
  bool wait_sent(int timeout_ms = 15000) { return queue_.wait_idle(std::chrono::milliseconds{timeout_ms}); }

  // The last state the router reported for a call in that room (nullopt before any report).
  std::optional<protocol::CallState> state(const std::string& call_id) const;
  bool ever(const std::string& call_id, protocol::CallState state) const;
  std::string end_reason(const std::string& call_id) const;
  // Call ids that rang here (ringing or ringing_silent), in order.
  std::vector<std::string> rang() const;
  const std::string& user_id() const { return me_.user_id; }

 private:
  static protocol::Millis now();
  void drain();

  matrix::Client& client_;
  protocol::LocalParty me_;
  protocol::Router router_;
  media::FakeMediaEngine engine_;
  matrix::SendQueue queue_;
  protocol::EventReader reader_;
  std::map<std::string, std::unique_ptr<media::MediaSession>> sessions_;  // by call id
  std::deque<protocol::MediaEvent> pending_;
  std::vector<protocol::CallUpdate> updates_;
};

}  // namespace mxcall::testing
