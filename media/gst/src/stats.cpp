// SessionStats from webrtcbin's get-stats (the W3C webrtc-stats dictionary as GstStructures), plus the received
// audio level from our level element.
#include <gst/webrtc/webrtc.h>

#include <string>

#include "session.hpp"

namespace mxcall::media::gst {
namespace {

std::uint64_t u64(const GstStructure* s, const char* field) {
  guint64 v = 0;
  if (gst_structure_get_uint64(s, field, &v)) return v;
  guint u = 0;
  if (gst_structure_get_uint(s, field, &u)) return u;
  return 0;
}

std::string str(const GstStructure* s, const char* field) {
  const char* v = gst_structure_get_string(s, field);
  return v ? v : "";
}

struct Collected {
  SessionStats stats;
  std::string pair_local, pair_remote;  // ids of the selected (or only) pair's candidates
  std::vector<const GstStructure*> candidates;
};

gboolean collect(GQuark, const GValue* value, gpointer data) {
  auto& c = *static_cast<Collected*>(data);
  if (!GST_VALUE_HOLDS_STRUCTURE(value)) return TRUE;
  const GstStructure* s = gst_value_get_structure(value);
  GstWebRTCStatsType type;
  if (!gst_structure_get(s, "type", GST_TYPE_WEBRTC_STATS_TYPE, &type, nullptr)) return TRUE;
  switch (type) {
    case GST_WEBRTC_STATS_OUTBOUND_RTP:
      c.stats.packets_sent += u64(s, "packets-sent");
      c.stats.bytes_sent += u64(s, "bytes-sent");
      break;
    case GST_WEBRTC_STATS_INBOUND_RTP:
      c.stats.packets_received += u64(s, "packets-received");
      c.stats.bytes_received += u64(s, "bytes-received");
      break;
    case GST_WEBRTC_STATS_REMOTE_INBOUND_RTP: {
      double rtt = 0;
      if (gst_structure_get_double(s, "round-trip-time", &rtt) && rtt > 0) c.stats.round_trip_ms = rtt * 1000.0;
      break;
    }
    case GST_WEBRTC_STATS_CANDIDATE_PAIR:
      c.pair_local = str(s, "local-candidate-id");
      c.pair_remote = str(s, "remote-candidate-id");
      break;
    case GST_WEBRTC_STATS_LOCAL_CANDIDATE:
    case GST_WEBRTC_STATS_REMOTE_CANDIDATE: c.candidates.push_back(s); break;
    default: break;
  }
  return TRUE;
}

std::string describe_candidate(const Collected& c, const std::string& id, std::string* type) {
  for (const GstStructure* s : c.candidates) {
    if (str(s, "id") != id) continue;
    guint port = 0;
    gst_structure_get_uint(s, "port", &port);
    if (type) *type = str(s, "candidate-type");
    return str(s, "address") + ":" + std::to_string(port);
  }
  return "";
}

}  // namespace

SessionStats Session::stats() const {
  SessionStats out;
  if (!pipeline_ || closed_) return out;
  std::string error;
  if (StructureRef reply = const_cast<Session*>(this)->run("get-stats", nullptr, &error)) {
    Collected c;
    gst_structure_foreach(reply.get(), collect, &c);
    std::string type;
    std::string local = describe_candidate(c, c.pair_local, &type);
    std::string remote = describe_candidate(c, c.pair_remote, nullptr);
    if (!local.empty() && !remote.empty()) c.stats.candidate_pair = local + " -> " + remote + " (" + type + ")";
    out = std::move(c.stats);
  }
  if (double level = audio_level_; level >= 0) out.audio_level = level;
  if (double level = sent_audio_level_; level >= 0) out.sent_audio_level = level;
  return out;
}

}  // namespace mxcall::media::gst
