// The GStreamer webrtcbin media engine (Debian 12, GStreamer 1.22). Everything here is an addition to the shared
// MediaEngine interface: where media comes from and goes to, ICE restrictions for tests, and counters that tests and
// benchmarks use to prove that media really flows. No GStreamer header leaks out of this file.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "mxcall/media/candidate_check.hpp"
#include "mxcall/media/media_engine.hpp"

namespace mxcall::media {

namespace audio_source {
struct Tone {
  double frequency_hz = 440.0;
  double volume = 0.3;  // 0..1 of full scale
};
struct WavFile {
  std::string path;  // played once at real-time pace, then silence
};
struct Device {};  // the default capture device (PulseAudio or ALSA, whichever autoaudiosrc finds)
}  // namespace audio_source
using AudioSource = std::variant<audio_source::Tone, audio_source::WavFile, audio_source::Device>;

namespace video_source {
struct TestPattern {
  int width = 320, height = 240, fps = 15;
};
struct V4l2 {
  std::string device = "/dev/video0";
  int width = 640, height = 480, fps = 15;
};
}  // namespace video_source
// monostate: no camera; a video call still receives video and answers a video offer without sending any.
using VideoSource = std::variant<std::monostate, video_source::TestPattern, video_source::V4l2>;

namespace audio_sink {
struct WavFile {
  std::string path;  // 48 kHz mono S16; the header is completed when the session closes
};
struct Device {};
struct Null {};
}  // namespace audio_sink
using AudioSink = std::variant<audio_sink::Null, audio_sink::WavFile, audio_sink::Device>;

enum class VideoSink : std::uint8_t { null, device };

struct GstEngineOptions {
  AudioSource audio_source = audio_source::Tone{};
  VideoSource video_source = video_source::TestPattern{};
  AudioSink audio_sink = audio_sink::Null{};
  VideoSink video_sink = VideoSink::null;
  // Where the peer's screen share (a second video stream, purpose m.screenshare) goes; its frames are counted
  // either way (GstSessionCounters::screenshare_frames_decoded).
  VideoSink screenshare_sink = VideoSink::null;
  // What we share when asked to (protocol::action::ShareScreen): a test pattern, or a V4L2 device standing in for a
  // screen grabber. monostate: sharing is refused with a local_media failure.
  VideoSource screenshare_source = video_source::TestPattern{640, 360, 10};
  // Adds 127.0.0.1 to the ICE agent and gathers nothing else: libnice skips loopback interfaces, and tests must
  // never send media anywhere but loopback. Outside tests leave it off and the agent gathers normally.
  bool loopback_only = false;
  // Opus encoder complexity (0..10): 10 is GStreamer's default; lower values trade quality for CPU on busy hosts.
  int opus_complexity = 10;
  // The receive jitter buffer (webrtcbin's `latency`): received audio and video wait this long before decoding, so
  // it is most of the time from "connected" to the first decoded audio. A call starts with jitter_buffer_ms and the
  // buffer grows, up to jitter_buffer_max_ms, when the measured inter-arrival jitter needs more or packets arrive too
  // late to play (checked every 250 ms; it never shrinks during a call). 60 ms is three 20 ms Opus frames: it holds
  // the jitter of wired and good Wi-Fi paths (typically under 10-15 ms, so 4x jitter + a frame fits), and a mobile
  // path's larger jitter grows it within the first second, with Opus concealing the few packets late before that.
  // libwebrtc's adaptive buffer likewise starts at a few tens of ms. 300 ms stays inside ITU-T G.114's 400 ms
  // one-way limit for interactive speech with the network's own delay. Equal values: a fixed buffer.
  std::uint32_t jitter_buffer_ms = 60;
  std::uint32_t jitter_buffer_max_ms = 300;
  // Before the first offer or answer goes out, wait this long at most for ICE gathering to finish, so the candidates
  // found by then ride inside the SDP (rule 30: about 200 ms is suggested) and the peer can start its checks without
  // waiting for an m.call.candidates event. Host candidates come within milliseconds, and without STUN or TURN
  // servers gathering ends then, so the wait is that short. Later candidates trickle as before. 0: no wait.
  std::uint32_t candidate_gathering_wait_ms = 200;
  // ICE's pacing timer Ta: one connectivity check per this many ms. RFC 8445 section 14.2 allows 5 ms at the least.
  // libnice's 20 ms default costs three paced steps with the regular nomination webrtcbin 1.22 asks for (check,
  // the peer's triggered check, the nominating check): ~64 ms from the answer to "connected" on loopback, against
  // ~7 ms for libwebrtc; 5 ms makes it ~19 ms (bench/interop). A 1:1 call has a few pairs (host, server-reflexive
  // and relay on each side), so even 5 ms means a short burst of small STUN packets. Values under 5 are read as 5.
  std::uint32_t ice_check_pacing_ms = 5;
  // How long a webrtcbin operation (create offer/answer, set description) may take before the session fails.
  std::uint32_t operation_timeout_ms = 10000;
  // libnice in 1.22 keeps a vanished peer "connected" for good (no consent freshness). Once connected, a session
  // that hears neither RTP nor RTCP from the peer for this long reports ICE disconnected, and connected again if
  // the peer comes back. RTCP keeps flowing during hold and mute (we send it at least every second), so those
  // never trip it.
  std::uint32_t liveness_timeout_ms = 4000;
  // Remote SDPs larger than this are refused before parsing.
  std::size_t max_remote_sdp_bytes = 256 * 1024;
  // Remote candidates: how many per session, how long a line (see candidate_check.hpp for what else is dropped).
  CandidateLimits candidate_limits;
};

// Counters kept by the engine itself (pad probes), independent of webrtcbin's statistics.
struct GstSessionCounters {
  std::uint64_t rtp_packets_sent_audio = 0;      // RTP packets that entered webrtcbin from our audio sender
  std::uint64_t rtp_packets_sent_video = 0;      // the camera's and our screen share's
  std::uint64_t rtp_packets_received_audio = 0;  // RTP packets that left webrtcbin towards our decoders
  std::uint64_t rtp_packets_received_video = 0;
  std::uint64_t audio_samples_decoded = 0;  // 48 kHz samples out of the Opus decoder
  std::uint64_t video_frames_decoded = 0;
  std::uint64_t screenshare_frames_decoded = 0;  // the peer's screen share, apart from its camera
  // The greatest distance between consecutive decoded audio buffers' arrival since the last reset, in ms; the
  // benchmark calls a call "gapped" when this exceeds a threshold.
  double max_audio_gap_ms = 0;
  // The receive jitter buffer now (see GstEngineOptions::jitter_buffer_ms), as the buffers themselves hold it: the
  // smallest of the call's buffers (one per received stream, kept equal), or the starting value before any stream.
  std::uint32_t jitter_buffer_ms = 0;
  bool send_audio_open = false;  // the audio valve state: false when held, muted or refused
  bool send_video_open = false;
  // Remote candidates kept from the ICE agent by check_remote_candidate, and the last one's reason (also logged).
  std::uint64_t remote_candidates_dropped = 0;
  std::string last_candidate_drop;
};

// A session of this engine: MediaSession plus the counters above.
class GstMediaSession : public MediaSession {
 public:
  virtual GstSessionCounters counters() const = 0;
  virtual void reset_gap_measurement() = 0;
};

class GstMediaEngine final : public MediaEngine {
 public:
  explicit GstMediaEngine(GstEngineOptions options = {});
  ~GstMediaEngine() override;
  GstMediaEngine(const GstMediaEngine&) = delete;
  GstMediaEngine& operator=(const GstMediaEngine&) = delete;

  std::optional<std::string> check_ready() override;
  std::unique_ptr<MediaSession> open_session(const SessionConfig& config, MediaEventSink& sink) override;
  // The same, typed; tests and the benchmark use the counters.
  std::unique_ptr<GstMediaSession> open_gst_session(const SessionConfig& config, MediaEventSink& sink);

  const GstEngineOptions& options() const { return options_; }

  // Pays the once-per-process costs ahead of the first call: GStreamer's plugin registry and the DTLS certificate
  // (an RSA key, 0.15 s on a calm machine and over a second on a loaded one, which the first call's create-offer
  // would otherwise wait for). Blocks; later calls return at once.
  static void warm_up();

 private:
  GstEngineOptions options_;
};

// The GStreamer elements a call needs, each with the Debian package that ships it. check_ready() looks each up in the
// registry; exposed so documentation and tests use one list.
struct RequiredElement {
  const char* element;
  const char* debian_package;
};
std::vector<RequiredElement> required_elements(const GstEngineOptions& options);

// webrtcbin's forms of an RTCIceServer (see ice_servers.cpp): "stun://host:port" for the stun-server property and
// "turn(s)://user:pass@host:port?transport=x" (user and password percent-encoded) for add-turn-server. URIs that
// are neither are skipped and named in `rejected`.
struct WebrtcbinIceConfig {
  std::optional<std::string> stun_server;
  std::vector<std::string> turn_servers;
  std::vector<std::string> rejected;
};
WebrtcbinIceConfig to_webrtcbin_ice_config(const std::vector<IceServer>& servers);

}  // namespace mxcall::media
