#include "media_harness.hpp"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <thread>

namespace mxcall::media::test {
namespace ev = protocol::media_event;
using namespace std::chrono_literals;

void EventQueue::on_media_event(protocol::MediaEvent event) {
  {
    std::lock_guard lock(m_);
    events_.push_back(std::move(event));
  }
  cv_.notify_all();
}

std::optional<protocol::MediaEvent> EventQueue::pop(std::chrono::milliseconds timeout) {
  std::unique_lock lock(m_);
  if (!cv_.wait_for(lock, timeout, [&] { return !events_.empty(); })) return std::nullopt;
  auto event = std::move(events_.front());
  events_.pop_front();
  return event;
}

GstEngineOptions tone_options(double frequency_hz, std::string wav_path) {
  GstEngineOptions o;
  o.audio_source = audio_source::Tone{frequency_hz, 0.3};
  o.video_source = video_source::TestPattern{};
  if (wav_path.empty()) {
    o.audio_sink = audio_sink::Null{};
  } else {
    o.audio_sink = audio_sink::WavFile{std::move(wav_path)};
  }
  o.loopback_only = true;
  return o;
}

Pair::Pair(GstEngineOptions a_options, GstEngineOptions b_options, SessionConfig config) {
  a.name = "A";
  b.name = "B";
  a.stream_id = "streamA";
  b.stream_id = "streamB";
  a.engine = std::make_unique<GstMediaEngine>(std::move(a_options));
  b.engine = std::make_unique<GstMediaEngine>(std::move(b_options));
  config.call = {"!room:test", "call-a"};
  a.session = a.engine->open_gst_session(config, a.events);
  config.call.call_id = "call-b";
  b.session = b.engine->open_gst_session(config, b.events);
}

Pair::~Pair() {
  if (a.session) a.session->close();
  if (b.session) b.session->close();
}

void Pair::offer(Side& from, bool ice_restart) {
  if (ice_restart) from.session->restart_ice();
  from.session->create_offer({from.wants, from.stream_id, ice_restart});
}

void Pair::handle(Side& from, protocol::MediaEvent event) {
  Side& to = other(from);
  std::visit(
      [&](auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, ev::LocalDescription>) {
          from.descriptions.push_back(e);
          if (!to.session) return;
          to.session->set_remote_description({e.type, e.sdp});
          if (e.type == "offer") {
            to.session->create_answer({to.wants, to.stream_id});
          } else {
            ++answers_applied;
          }
        } else if constexpr (std::is_same_v<T, ev::LocalCandidate>) {
          ++from.candidates;
          if (forward_candidates && to.session)
            to.session->add_remote_candidate({e.candidate, e.sdp_mid, e.sdp_mline_index});
        } else if constexpr (std::is_same_v<T, ev::GatheringComplete>) {
          from.gathering_complete = true;
        } else if constexpr (std::is_same_v<T, ev::IceStateChanged>) {
          from.ice_states.push_back(e.state);
        } else if constexpr (std::is_same_v<T, ev::Failed>) {
          from.failures.push_back(e);
        }
      },
      event.event);
}

bool Pair::pump_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    bool any = false;
    for (Side* s : {&a, &b}) {
      while (auto e = s->events.pop(0ms)) {
        any = true;
        handle(*s, std::move(*e));
      }
    }
    if (!any) std::this_thread::sleep_for(5ms);
  }
  return true;
}

void Pair::pump_for(std::chrono::milliseconds duration) {
  pump_until([] { return false; }, duration);
}

bool Pair::negotiate(Side& from, bool ice_restart, std::chrono::milliseconds timeout) {
  int before = answers_applied;
  offer(from, ice_restart);
  return pump_until([&] { return answers_applied > before || !a.failures.empty() || !b.failures.empty(); }, timeout) &&
         answers_applied > before;
}

bool Pair::connect(std::chrono::milliseconds timeout) {
  if (!negotiate(a, false, timeout)) return false;
  return pump_until([&] { return a.connected() && b.connected(); }, timeout);
}

std::pair<std::uint64_t, std::uint64_t> Pair::audio_packets_during(std::chrono::milliseconds window) {
  auto a0 = a.counters().rtp_packets_received_audio, b0 = b.counters().rtp_packets_received_audio;
  pump_for(window);
  return {a.counters().rtp_packets_received_audio - a0, b.counters().rtp_packets_received_audio - b0};
}

std::string describe(Pair& pair) {
  std::string out;
  for (Side* s : {&pair.a, &pair.b}) {
    auto c = s->counters();
    out += s->name + ": sent a/v " + std::to_string(c.rtp_packets_sent_audio) + "/" +
           std::to_string(c.rtp_packets_sent_video) + ", received a/v " + std::to_string(c.rtp_packets_received_audio) +
           "/" + std::to_string(c.rtp_packets_received_video) + ", decoded samples " +
           std::to_string(c.audio_samples_decoded) + ", frames " + std::to_string(c.video_frames_decoded) +
           ", valves a/v " + (c.send_audio_open ? "open" : "shut") + "/" + (c.send_video_open ? "open" : "shut") +
           ", ice";
    for (auto st : s->ice_states) out += " " + std::string(protocol::to_string(st));
    for (const auto& f : s->failures) out += ", FAILED " + f.detail;
    out += "\n";
  }
  return out;
}

double rms(const std::vector<std::int16_t>& samples) {
  if (samples.empty()) return 0;
  double sum = 0;
  for (auto s : samples) sum += static_cast<double>(s) * s;
  return std::sqrt(sum / static_cast<double>(samples.size()));
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path, ignored);
}

std::string temp_dir() {
  std::string tmpl = "/tmp/mxcall-media-XXXXXX";
  char* dir = mkdtemp(tmpl.data());
  return dir ? std::string(dir) : std::string("/tmp");
}

}  // namespace mxcall::media::test
