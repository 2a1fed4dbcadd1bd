// The media layer's interface: one MediaEngine per process, one MediaSession per call. The call engine's
// MediaCommands are executed on a session (execute() below); the session reports MediaEvents to its sink.
//
// Threading: a session's methods are called from the application's loop thread. Sinks may be called from any
// thread (GStreamer calls back from its own); a sink that feeds the protocol router must hand events to the loop.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mxcall/protocol/media_io.hpp"

namespace mxcall::media {

// One RTCIceServer: the homeserver's TURN URIs with their time-limited credentials, or a STUN URI.
struct IceServer {
  std::vector<std::string> urls;  // stun:, turn: or turns: URIs
  std::string username;
  std::string credential;
};

struct SessionConfig {
  protocol::CallRef call;
  std::vector<IceServer> ice_servers;
  bool relay_only = false;  // gather and use TURN relay candidates only
};

struct SessionStats {
  std::uint64_t packets_sent = 0;
  std::uint64_t packets_received = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
  std::optional<double> audio_level;       // 0..1 of the received audio
  std::optional<double> sent_audio_level;  // 0..1 of the audio source, before the mute valve
  std::optional<double> round_trip_ms;
  std::string candidate_pair;  // "local-address:port -> remote-address:port (type)" when connected
};

// Receives a session's events. Called from any thread (the caller's, GStreamer's, the engine's own), at times while
// the session holds its internal lock, so that no candidate overtakes the description it follows: an implementation
// queues the event and returns, and never calls back into the session from here.
class MediaEventSink {
 public:
  virtual ~MediaEventSink() = default;
  virtual void on_media_event(protocol::MediaEvent event) = 0;
};

class MediaSession {
 public:
  virtual ~MediaSession() = default;
  virtual void create_offer(const protocol::media_op::CreateOffer& op) = 0;
  virtual void create_answer(const protocol::media_op::CreateAnswer& op) = 0;
  virtual void set_remote_description(const protocol::media_op::SetRemoteDescription& op) = 0;
  virtual void add_remote_candidate(const protocol::media_op::AddRemoteCandidate& op) = 0;
  virtual void end_of_remote_candidates() = 0;
  virtual void set_direction(protocol::Direction direction) = 0;
  virtual void set_muted(const protocol::media_op::SetMuted& op) = 0;
  virtual void restart_ice() = 0;
  // Queues the digits behind any still being sent (RFC 4733 telephone-events on the audio stream); a peer that did
  // not accept telephone-event gets none, and the session logs why.
  virtual void send_dtmf(const protocol::media_op::SendDtmf& op) = 0;
  virtual void close() = 0;
  virtual SessionStats stats() const = 0;
};

class MediaEngine {
 public:
  virtual ~MediaEngine() = default;
  // A one-line, actionable description of what is missing (e.g. a GStreamer plugin and its Debian package), or
  // nullopt when the engine can carry calls. Checked before a call starts.
  virtual std::optional<std::string> check_ready() = 0;
  virtual std::unique_ptr<MediaSession> open_session(const SessionConfig& config, MediaEventSink& sink) = 0;
};

// Runs one of the call engine's commands on a session.
void execute(MediaSession& session, const protocol::MediaOp& op);

}  // namespace mxcall::media
