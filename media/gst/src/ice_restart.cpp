// ICE restart under webrtcbin 1.22, which has none: restart libnice's stream ourselves (new checks, remote
// candidates forgotten) and give the peer our local candidates again, since webrtcbin gathers only once.
// The new credentials themselves travel in the SDP (describe()); webrtcbin passes them to libnice from there.
#include <gst/webrtc/nice/nice.h>
#include <nice/agent.h>

#include "session.hpp"

namespace mxcall::media::gst {
namespace {

NiceAgent* agent_of(GstElement* webrtc) {
  GObject* ice = nullptr;
  g_object_get(webrtc, "ice-agent", &ice, nullptr);
  if (!ice) return nullptr;
  NiceAgent* agent = nullptr;
  g_object_get(ice, "agent", &agent, nullptr);
  g_object_unref(ice);
  return agent;
}

// The libnice stream behind our (bundled) transport: transceiver -> receiver -> DTLS transport -> ICE transport.
std::vector<guint> streams_of(GstPad* sender_pad) {
  std::vector<guint> ids;
  GstWebRTCRTPTransceiver* transceiver = nullptr;
  if (sender_pad) g_object_get(sender_pad, "transceiver", &transceiver, nullptr);
  GstWebRTCRTPReceiver* receiver = nullptr;
  if (transceiver) g_object_get(transceiver, "receiver", &receiver, nullptr);
  GstWebRTCDTLSTransport* dtls = nullptr;
  if (receiver) g_object_get(receiver, "transport", &dtls, nullptr);
  GstWebRTCICETransport* ice = nullptr;
  if (dtls) g_object_get(dtls, "transport", &ice, nullptr);
  if (ice && GST_IS_WEBRTC_NICE_TRANSPORT(ice) && GST_WEBRTC_NICE_TRANSPORT(ice)->stream) {
    ids.push_back(GST_WEBRTC_ICE_STREAM(GST_WEBRTC_NICE_TRANSPORT(ice)->stream)->stream_id);
  }
  for (gpointer o : {static_cast<gpointer>(ice), static_cast<gpointer>(dtls), static_cast<gpointer>(receiver),
                     static_cast<gpointer>(transceiver)}) {
    if (o) gst_object_unref(o);
  }
  return ids;
}

}  // namespace

void Session::restart_ice_streams() {
  NiceAgent* agent = agent_of(webrtc_);
  if (!agent) return;
  for (guint id : streams_of(audio_ ? audio_->webrtc_pad : nullptr)) {
    nice_agent_restart_stream(agent, id);
    // Restarting forgets the peer's credentials too. When we answer, webrtcbin gave them to libnice before this
    // (set-remote-description) and will not again: without them every check fails at once.
    if (remote_ && remote_type_ == "offer" && !remote_->ice_ufrag.empty()) {
      nice_agent_set_remote_credentials(agent, id, remote_->ice_ufrag.c_str(), remote_->ice_pwd.c_str());
    }
  }
  g_object_unref(agent);
}

void Session::announce_local_candidates() {
  NiceAgent* agent = agent_of(webrtc_);
  if (!agent) return;
  for (guint id : streams_of(audio_ ? audio_->webrtc_pad : nullptr)) {
    GSList* candidates = nice_agent_get_local_candidates(agent, id, NICE_COMPONENT_TYPE_RTP);
    for (GSList* c = candidates; c; c = c->next) {
      gchar* sdp = nice_agent_generate_local_candidate_sdp(agent, static_cast<NiceCandidate*>(c->data));
      if (sdp) {
        std::string line(sdp);
        g_free(sdp);
        if (line.starts_with("a=")) line.erase(0, 2);
        // Bundled: every candidate belongs to the first m-line's transport.
        on_ice_candidate(webrtc_, 0, line.data(), this);
      }
    }
    g_slist_free_full(candidates, reinterpret_cast<GDestroyNotify>(&nice_candidate_free));
  }
  g_object_unref(agent);
}

}  // namespace mxcall::media::gst
