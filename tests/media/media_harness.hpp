// Two GStreamer engines in one process joined by direct signalling: what one side emits (description, candidates)
// is handed to the other, and an offer is answered at once, as the call engine would. Everything is pumped from the
// test's thread; the engines' callbacks only enqueue.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "mxcall/media/audio_analysis.hpp"
#include "mxcall/media/gst_media_engine.hpp"

namespace mxcall::media::test {

class EventQueue final : public MediaEventSink {
 public:
  void on_media_event(protocol::MediaEvent event) override;
  // Waits up to `timeout` for an event.
  std::optional<protocol::MediaEvent> pop(std::chrono::milliseconds timeout);

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<protocol::MediaEvent> events_;
};

struct Side {
  std::string name;
  std::unique_ptr<GstMediaEngine> engine;
  std::unique_ptr<GstMediaSession> session;
  EventQueue events;
  protocol::MediaWants wants;
  std::string stream_id;
  std::vector<protocol::IceState> ice_states;
  std::vector<protocol::media_event::Failed> failures;
  std::vector<protocol::media_event::LocalDescription> descriptions;  // everything this side sent
  int candidates = 0;
  bool gathering_complete = false;

  bool connected() const { return !ice_states.empty() && ice_states.back() == protocol::IceState::connected; }
  GstSessionCounters counters() const { return session->counters(); }
};

GstEngineOptions tone_options(double frequency_hz, std::string wav_path = {});

class Pair {
 public:
  Pair(GstEngineOptions a, GstEngineOptions b, SessionConfig config = {});
  ~Pair();
  Side a, b;

  // Offers from `from` (answered by the other side through pump()).
  void offer(Side& from, bool ice_restart = false);
  // Processes events until pred() holds or the timeout passes; returns pred().
  bool pump_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout);
  // Pumps for a fixed time.
  void pump_for(std::chrono::milliseconds duration);
  // Offer from `from` and pump until the answer was applied on `from`.
  bool negotiate(Side& from, bool ice_restart = false, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  bool connect(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Audio RTP packets each side received during `window`.
  std::pair<std::uint64_t, std::uint64_t> audio_packets_during(std::chrono::milliseconds window);

  Side& other(Side& s) { return &s == &a ? b : a; }
  bool forward_candidates = true;  // off: candidates are counted but not delivered to the other side
  int answers_applied = 0;

 private:
  void handle(Side& from, protocol::MediaEvent event);
};

// Both sides' counters, ICE states and failures, for assertion messages.
std::string describe(Pair& pair);

double rms(const std::vector<std::int16_t>& samples);

// A fresh directory under /tmp for one test's files.
std::string temp_dir();
// The same, removed with everything in it when the test ends, passed or not.
struct TempDir {
  std::string path = temp_dir();
  TempDir() = default;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
};

}  // namespace mxcall::media::test
