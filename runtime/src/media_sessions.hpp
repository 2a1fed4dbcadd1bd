// A phone's media sessions, one per call, opened on the call's first media command with the media chosen for that
// call (placing or answering). Session events are handed to the loop by the poster; the table itself is used on the
// loop thread only.
//
// Why a GstMediaEngine per session rather than per phone: the engine is only its options (sources, sinks, ICE
// policy), and the options are what differs per call. A per-session engine keeps the media layer's interface as it
// is and costs one small object per call.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "mxcall/media/gst_media_engine.hpp"
#include "mxcall/phone.hpp"

namespace mxcall::runtime {

class MediaSessions {
 public:
  // Thread-safe: hands a media event to the loop (GStreamer calls sinks from its own threads).
  using EventPoster = std::function<void(protocol::MediaEvent)>;

  MediaSessions(const PhoneConfig& config, EventPoster post);
  ~MediaSessions();
  MediaSessions(const MediaSessions&) = delete;
  MediaSessions& operator=(const MediaSessions&) = delete;

  // The media of a call about to be placed or answered; used when its session opens.
  void choose(const CallRef& call, MediaChoice choice);
  // The media of the call we placed last in `call.room_id`. A session that opens with no choice of its own is the
  // peer's call that won glare and was answered for us (rules 59-60): it carries on with the media the user chose
  // for the call it replaced, not with the engine's defaults.
  void choose_for_glare(const CallRef& call, const MediaChoice& choice);
  // The call ended: a choice never used (a refused answer, say) is dropped.
  void forget(const CallRef& call) { choices_.erase(call); }
  void execute(const protocol::MediaCommand& command, const std::vector<media::IceServer>& ice_servers);
  std::vector<CallStats> stats() const;
  bool empty() const { return sessions_.empty(); }
  void close_all();

 private:
  class Sink;
  struct Entry {
    std::unique_ptr<Sink> sink;  // outlives the session: GStreamer threads report to it until the session is gone
    std::unique_ptr<media::MediaSession> session;
    media::GstMediaSession* gst = nullptr;  // the same session when it is a GStreamer one (for its counters)
  };
  Entry* open(const CallRef& call, const std::vector<media::IceServer>& ice_servers);
  media::GstEngineOptions options_for(const CallRef& call) const;

  media::GstEngineOptions defaults_;
  std::shared_ptr<media::MediaEngine> engine_;
  EventPoster post_;
  std::map<CallRef, MediaChoice> choices_;
  std::map<std::string, MediaChoice> placed_in_room_;  // room id -> the media of our last call placed there
  std::map<CallRef, Entry> sessions_;
};

}  // namespace mxcall::runtime
