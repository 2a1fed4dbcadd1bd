// The peer's screen share: a video m-line of its own whose msid stream its sdp_stream_metadata calls m.screenshare
// (rule 64; matrix-js-sdk's setScreensharingEnabled adds it by renegotiation). Its frames go to their own sink and
// counter, and the session reports when it starts (webrtcbin gave its m-line a pad) and ends (the peer's m-line stops
// sending, as after matrix-js-sdk's removeTrack, or the metadata no longer names the stream), the call going on.
#include <gst/video/video.h>

#include <algorithm>
#include <string_view>

#include "session.hpp"

namespace mxcall::media::gst {
namespace {

// The msid stream id of each m-line ("a=msid:<stream> <track>", else the ssrc-level "msid:" that webrtcbin writes).
std::vector<std::string> stream_ids_by_mline(std::string_view sdp) {
  std::vector<std::string> ids;
  std::size_t pos = 0;
  while (pos < sdp.size() && ids.size() <= 64) {  // a hostile SDP may hold thousands of m-lines; we use a few
    std::size_t eol = sdp.find('\n', pos);
    if (eol == std::string_view::npos) eol = sdp.size();
    std::string_view line = sdp.substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = eol + 1;
    if (line.starts_with("m=")) {
      ids.emplace_back();
      continue;
    }
    if (ids.empty() || !ids.back().empty()) continue;
    std::string_view value;
    if (line.starts_with("a=msid:")) {
      value = line.substr(7);
    } else if (line.starts_with("a=ssrc:")) {
      auto at = line.find(" msid:");
      if (at == std::string_view::npos) continue;
      value = line.substr(at + 6);
    } else {
      continue;
    }
    ids.back() = std::string(value.substr(0, std::min(value.find(' '), std::size_t{256})));
  }
  return ids;
}

bool peer_sends(protocol::Direction d) {
  return d == protocol::Direction::sendrecv || d == protocol::Direction::sendonly;
}

}  // namespace

bool Session::update_screenshare(const std::string& stream_id) {
  if (stream_id == screenshare_id_) return true;
  if (!screenshare_id_.empty() && !screenshares_.empty()) {
    // The share ends: nothing more is sent, and the m-line says so (inactive, the one direction change webrtcbin
    // 1.22 makes), which is how the peer's WebRTC ends the remote track.
    SendBranch& ended = screenshares_.back();
    ended.open = false;
    g_object_set(ended.valve, "drop", TRUE, nullptr);
    GstWebRTCRTPTransceiver* raw = nullptr;
    g_object_get(ended.webrtc_pad.get(), "transceiver", &raw, nullptr);
    if (TransceiverRef t{raw})
      g_object_set(t.get(), "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_INACTIVE, nullptr);
  }
  screenshare_id_.clear();
  if (stream_id.empty()) return true;
  if (std::holds_alternative<std::monostate>(options_.screenshare_source)) {
    fail(protocol::MediaFailure::local_media, "no screen share source is configured");
    return false;
  }
  std::optional<SendBranch> branch;
  std::string source_name = "screensrc" + std::to_string(screenshares_.size());
  if (!build_video_sender(options_.screenshare_source, source_name.c_str(), branch, kVp8.offered_payload_type,
                          std::nullopt)) {
    return false;
  }
  g_object_set(branch->webrtc_pad.get(), "msid", stream_id.c_str(), nullptr);
  GstWebRTCRTPTransceiver* raw = nullptr;
  g_object_get(branch->webrtc_pad.get(), "transceiver", &raw, nullptr);
  if (TransceiverRef t{raw}) g_object_set(t.get(), "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, nullptr);
  // Held calls send nothing (rule 56); a share started while holding starts with resume.
  branch->open = !holding_;
  g_object_set(branch->valve, "drop", branch->open ? FALSE : TRUE, nullptr);
  screenshares_.push_back(std::move(*branch));
  screenshare_id_ = stream_id;
  return true;
}

void Session::gate_screenshare(bool open) {
  if (screenshare_id_.empty() || screenshares_.empty()) return;
  SendBranch& live = screenshares_.back();
  if (open && !live.open) {
    // The peer's decoder waits for a keyframe after a gap (hold): ask for one now.
    PadRef src(gst_element_get_static_pad(live.encoder, "src"));
    gst_pad_send_event(src.get(), gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
  }
  live.open = open;
  g_object_set(live.valve, "drop", open ? FALSE : TRUE, nullptr);
}

bool Session::screenshare_started(GstPad* pad) {
  GstWebRTCRTPTransceiver* raw = nullptr;
  g_object_get(pad, "transceiver", &raw, nullptr);
  TransceiverRef transceiver(raw);
  if (!transceiver) return false;
  guint mline = G_MAXUINT;
  g_object_get(transceiver.get(), "mlineindex", &mline, nullptr);
  std::string id;
  {
    std::lock_guard lock(mu_);
    if (mline >= remote_stream_ids_.size()) return false;
    id = remote_stream_ids_[mline];
    if (id.empty() || std::find(screenshare_ids_.begin(), screenshare_ids_.end(), id) == screenshare_ids_.end()) {
      return false;
    }
    screenshare_pads_[mline] = id;
    screenshares_active_[mline] = id;
  }
  emit(protocol::media_event::RemoteScreenshare{id, true});
  return true;
}

void Session::note_remote_streams(const protocol::media_op::SetRemoteDescription& op) {
  auto ids = stream_ids_by_mline(op.sdp);
  std::vector<protocol::media_event::RemoteScreenshare> changes;
  {
    std::lock_guard lock(mu_);
    remote_stream_ids_ = ids;
    screenshare_ids_ = op.screenshare_streams;
    auto is_shared = [&](std::uint32_t mline, const std::string& id) {
      bool named = std::find(screenshare_ids_.begin(), screenshare_ids_.end(), id) != screenshare_ids_.end();
      return named && mline < ids.size() && ids[mline] == id && remote_ && mline < remote_->lines.size() &&
             peer_sends(remote_->lines[mline].direction);
    };
    // remote_ is the description just set (set_remote_description updates it before calling here).
    for (auto it = screenshares_active_.begin(); it != screenshares_active_.end();) {
      if (is_shared(it->first, it->second)) {
        ++it;
        continue;
      }
      changes.push_back({it->second, false});
      it = screenshares_active_.erase(it);
    }
    // Sharing again on an m-line webrtcbin already has a pad for: no new pad comes, so it starts here.
    for (const auto& [mline, id] : screenshare_pads_) {
      if (!screenshares_active_.contains(mline) && is_shared(mline, id)) {
        screenshares_active_[mline] = id;
        changes.push_back({id, true});
      }
    }
  }
  for (auto& change : changes) emit(std::move(change));
}

}  // namespace mxcall::media::gst
