// ICE restart under webrtcbin 1.22, which has none: restart libnice's stream ourselves (new checks, remote
// candidates forgotten) and give the peer our local candidates again, since webrtcbin gathers only once.
// The new credentials themselves travel in the SDP (describe()); webrtcbin passes them to libnice from there.
#include <gst/webrtc/nice/nice.h>
#include <nice/agent.h>

#include "session.hpp"

namespace mxcall::media::gst {
namespace {

struct CandidateListFree {
  void operator()(GSList* list) const {
    g_slist_free_full(list, reinterpret_cast<GDestroyNotify>(&nice_candidate_free));
  }
};
using CandidateList = std::unique_ptr<GSList, CandidateListFree>;

GObjectRef<NiceAgent> agent_of(GstElement* webrtc) {
  auto ice = object_property<GObjectRef<GObject>>(webrtc, "ice-agent");
  if (!ice) return nullptr;
  return object_property<GObjectRef<NiceAgent>>(ice.get(), "agent");
}

// The libnice stream behind our (bundled) transport: transceiver -> receiver -> DTLS transport -> ICE transport.
std::vector<guint> streams_of(GstPad* sender_pad) {
  std::vector<guint> ids;
  if (!sender_pad) return ids;
  auto transceiver = object_property<TransceiverRef>(sender_pad, "transceiver");
  auto receiver = transceiver ? object_property<GstRef<GstWebRTCRTPReceiver>>(transceiver.get(), "receiver") : nullptr;
  auto dtls = receiver ? object_property<GstRef<GstWebRTCDTLSTransport>>(receiver.get(), "transport") : nullptr;
  auto ice = dtls ? object_property<GstRef<GstWebRTCICETransport>>(dtls.get(), "transport") : nullptr;
  if (ice && GST_IS_WEBRTC_NICE_TRANSPORT(ice.get()) && GST_WEBRTC_NICE_TRANSPORT(ice.get())->stream) {
    ids.push_back(GST_WEBRTC_ICE_STREAM(GST_WEBRTC_NICE_TRANSPORT(ice.get())->stream)->stream_id);
  }
  return ids;
}

}  // namespace

void Session::restart_ice_streams() {
  auto agent = agent_of(webrtc_);
  if (!agent) return;
  for (guint id : streams_of(audio_ ? audio_->webrtc_pad.get() : nullptr)) {
    nice_agent_restart_stream(agent.get(), id);
    // Restarting forgets the peer's credentials too. When we answer, webrtcbin gave them to libnice before this
    // (set-remote-description) and will not again: without them every check fails at once.
    if (remote_ && remote_type_ == "offer" && !remote_->ice_ufrag.empty()) {
      nice_agent_set_remote_credentials(agent.get(), id, remote_->ice_ufrag.c_str(), remote_->ice_pwd.c_str());
    }
  }
}

void Session::announce_local_candidates() {
  auto agent = agent_of(webrtc_);
  if (!agent) return;
  for (guint id : streams_of(audio_ ? audio_->webrtc_pad.get() : nullptr)) {
    CandidateList candidates(nice_agent_get_local_candidates(agent.get(), id, NICE_COMPONENT_TYPE_RTP));
    for (GSList* c = candidates.get(); c; c = c->next) {
      if (GCharRef sdp{nice_agent_generate_local_candidate_sdp(agent.get(), static_cast<NiceCandidate*>(c->data))}) {
        std::string line(sdp.get());
        if (line.starts_with("a=")) line.erase(0, 2);
        // Bundled: every candidate belongs to the first m-line's transport.
        on_ice_candidate(webrtc_, 0, line.data(), this);
      }
    }
  }
}

}  // namespace mxcall::media::gst
