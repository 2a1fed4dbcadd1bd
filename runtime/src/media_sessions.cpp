#include "media_sessions.hpp"

namespace mxcall::runtime {

class MediaSessions::Sink final : public media::MediaEventSink {
 public:
  explicit Sink(EventPoster post) : post_(std::move(post)) {}
  void on_media_event(protocol::MediaEvent event) override { post_(std::move(event)); }

 private:
  EventPoster post_;
};

MediaSessions::MediaSessions(const PhoneConfig& config, EventPoster post)
    : defaults_(config.media_defaults), engine_(config.media_engine), post_(std::move(post)) {
  // Once per process, when the first phone is made rather than inside the first call's setup time.
  if (!engine_) media::GstMediaEngine::warm_up();
}

MediaSessions::~MediaSessions() { close_all(); }

void MediaSessions::choose(const CallRef& call, MediaChoice choice) { choices_[call] = std::move(choice); }

void MediaSessions::choose_for_glare(const CallRef& call, const MediaChoice& choice) {
  placed_in_room_.insert_or_assign(call.room_id, choice);
}

media::GstEngineOptions MediaSessions::options_for(const CallRef& call) const {
  media::GstEngineOptions options = defaults_;
  auto it = choices_.find(call);
  const MediaChoice* choice = it != choices_.end() ? &it->second : nullptr;
  if (!choice) {
    auto placed = placed_in_room_.find(call.room_id);
    if (placed != placed_in_room_.end()) choice = &placed->second;
  }
  if (choice) {
    options.audio_source = choice->audio_source;
    options.audio_sink = choice->audio_sink;
    options.video_source = choice->video_source;
    options.video_sink = choice->video_sink;
    options.screenshare_sink = choice->screenshare_sink;
    options.screenshare_source = choice->screenshare_source;
  }
  return options;
}

MediaSessions::Entry* MediaSessions::open(const CallRef& call, const std::vector<media::IceServer>& ice_servers) {
  media::SessionConfig config{call, ice_servers, false};
  Entry entry;
  entry.sink = std::make_unique<Sink>(post_);
  if (engine_) {
    entry.session = engine_->open_session(config, *entry.sink);
  } else {
    media::GstMediaEngine engine(options_for(call));
    if (auto missing = engine.check_ready()) {
      post_({call, protocol::media_event::Failed{protocol::MediaFailure::local_media, *missing}});
      return nullptr;
    }
    auto session = engine.open_gst_session(config, *entry.sink);
    entry.gst = session.get();
    entry.session = std::move(session);
  }
  choices_.erase(call);
  return &sessions_.insert_or_assign(call, std::move(entry)).first->second;
}

void MediaSessions::execute(const protocol::MediaCommand& command, const std::vector<media::IceServer>& ice_servers) {
  bool closing = std::holds_alternative<protocol::media_op::Close>(command.op);
  auto it = sessions_.find(command.call);
  Entry* entry = it != sessions_.end() ? &it->second : nullptr;
  if (!entry) {
    if (closing) {
      choices_.erase(command.call);
      return;
    }
    entry = open(command.call, ice_servers);
    if (!entry) return;  // the failure is on its way to the router
  }
  media::execute(*entry->session, command.op);
  if (closing) sessions_.erase(command.call);  // the session first, then its sink (member order)
}

std::vector<CallStats> MediaSessions::stats() const {
  std::vector<CallStats> out;
  out.reserve(sessions_.size());
  for (const auto& [call, entry] : sessions_) {
    media::SessionStats s = entry.session->stats();
    CallStats stats;
    stats.call = call;
    stats.sent.packets = s.packets_sent;
    stats.sent.bytes = s.bytes_sent;
    stats.received.packets = s.packets_received;
    stats.received.bytes = s.bytes_received;
    stats.received.level = s.audio_level;
    stats.sent.level = s.sent_audio_level;
    stats.round_trip_ms = s.round_trip_ms;
    stats.candidate_pair = s.candidate_pair;
    if (entry.gst) {
      // The engine's own counters: audio packets alone, counted where they enter and leave webrtcbin.
      media::GstSessionCounters c = entry.gst->counters();
      stats.sent.packets = c.rtp_packets_sent_audio;
      stats.received.packets = c.rtp_packets_received_audio;
      stats.audio_samples_decoded = c.audio_samples_decoded;
      stats.video_frames_received = c.video_frames_decoded;
      stats.screenshare_frames_received = c.screenshare_frames_decoded;
    }
    out.push_back(std::move(stats));
  }
  return out;
}

void MediaSessions::close_all() {
  for (auto& [call, entry] : sessions_) entry.session->close();
  sessions_.clear();
  choices_.clear();
  placed_in_room_.clear();
}

}  // namespace mxcall::runtime
