#include "session.hpp"

#include <gst/video/video.h>
#include <nice/agent.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <memory>
#include <thread>

namespace mxcall::media::gst {
namespace op_t = protocol::media_op;
namespace ev = protocol::media_event;
using protocol::Direction;
using protocol::MediaFailure;

namespace {

// A promise whose reply we wait for with a deadline; the state outlives a timed-out wait (webrtcbin may still
// answer later), hence the shared_ptr handed to GStreamer.
struct PromiseState {
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
};

// A copy of the shared_ptr, taken before the lock: once the lock is released the waiter may return, and only
// GstPromise's reference count (atomics TSan cannot see) would keep `data` alive for a read through it after that.
void promise_changed(GstPromise*, gpointer data) {
  std::shared_ptr<PromiseState> state = *static_cast<std::shared_ptr<PromiseState>*>(data);
  {
    std::lock_guard lock(state->m);
    state->done = true;
  }
  state->cv.notify_all();
}

void promise_state_free(gpointer data) { delete static_cast<std::shared_ptr<PromiseState>*>(data); }

bool receives(Direction d) { return d == Direction::sendrecv || d == Direction::recvonly; }

// How long a description waits for new senders' first caps (see wait_for_sender_caps), and how often it looks.
constexpr auto kSenderCapsWaitLimit = std::chrono::seconds(2);
constexpr auto kSenderCapsPollInterval = std::chrono::milliseconds(5);

}  // namespace

Session::Session(const GstEngineOptions& options, SessionConfig config, MediaEventSink& sink)
    : options_(options), config_(std::move(config)), sink_(sink) {
  ElementRef pipeline = adopt_floating(gst_pipeline_new(nullptr));
  ElementRef webrtc = make_element("webrtcbin", "webrtc");
  if (!pipeline || !webrtc) {
    fail(MediaFailure::internal, "webrtcbin is missing: install gstreamer1.0-plugins-bad");
    return;
  }
  pipeline_ = std::move(pipeline);
  webrtc_ = webrtc.get();
  gst_bin_add(GST_BIN(pipeline_.get()), webrtc_);
  jitter_buffer_ms_ = options_.jitter_buffer_ms;
  g_object_set(webrtc_, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, "latency", options_.jitter_buffer_ms,
               nullptr);

  auto ice = object_property<GObjectRef<GObject>>(webrtc_, "ice-agent");
  auto agent = ice ? object_property<GObjectRef<NiceAgent>>(ice.get(), "agent") : nullptr;
  if (agent) {
    // No UPnP port mapping (browsers do none either): it only adds an HTTP server per call and warnings.
    g_object_set(agent.get(), "upnp", FALSE, nullptr);
    // Connectivity checks every ice_check_pacing_ms instead of libnice's 20 ms (see GstEngineOptions).
    g_object_set(agent.get(), "stun-pacing-timer", static_cast<guint>(std::max(options_.ice_check_pacing_ms, 5u)),
                 nullptr);
  }
  if (options_.loopback_only && agent) {
    // libnice skips loopback interfaces; an explicit local address also stops it enumerating the others, which is
    // what keeps tests on 127.0.0.1.
    NiceAddress address;
    nice_address_init(&address);
    nice_address_set_from_string(&address, "127.0.0.1");
    nice_agent_add_local_address(agent.get(), &address);
    g_object_set(ice.get(), "ice-tcp", FALSE, nullptr);
  }

  WebrtcbinIceConfig servers = to_webrtcbin_ice_config(config_.ice_servers);
  if (servers.stun_server) g_object_set(webrtc_, "stun-server", servers.stun_server->c_str(), nullptr);
  for (const auto& turn : servers.turn_servers) {
    gboolean ok = FALSE;
    g_signal_emit_by_name(webrtc_, "add-turn-server", turn.c_str(), &ok);
  }
  if (config_.relay_only) {
    g_object_set(webrtc_, "ice-transport-policy", GST_WEBRTC_ICE_TRANSPORT_POLICY_RELAY, nullptr);
  }

  g_signal_connect(webrtc_, "on-ice-candidate", G_CALLBACK(&Session::on_ice_candidate), this);
  g_signal_connect(webrtc_, "notify::ice-connection-state", G_CALLBACK(&Session::on_ice_state), this);
  g_signal_connect(webrtc_, "notify::ice-gathering-state", G_CALLBACK(&Session::on_gathering_state), this);
  g_signal_connect(webrtc_, "pad-added", G_CALLBACK(&Session::on_pad_added), this);

  BusRef bus(gst_element_get_bus(pipeline_.get()));
  gst_bus_set_sync_handler(bus.get(), reinterpret_cast<GstBusSyncHandler>(&Session::on_bus_message), this, nullptr);

  if (ElementRef rtpbin{gst_bin_get_by_name(GST_BIN(webrtc_), "rtpbin")}) {
    g_signal_connect(rtpbin.get(), "on-ssrc-active", G_CALLBACK(&Session::on_ssrc_active), this);
    g_signal_connect(rtpbin.get(), "new-jitterbuffer", G_CALLBACK(&Session::on_new_jitterbuffer), this);
    install_dtmf_receiver(rtpbin.get());
  }

  if (gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    fail(MediaFailure::internal, "the pipeline would not start (see check_ready())");
    return;
  }
  start_watchdog();
}

Session::~Session() { close(); }

void Session::emit(protocol::MediaEventKind event) {
  if (closed_) return;
  sink_.on_media_event({config_.call, std::move(event)});
}

void Session::fail(MediaFailure failure, std::string detail) {
  if (closed_ || failed_.exchange(true)) return;
  sink_.on_media_event({config_.call, ev::Failed{failure, std::move(detail)}});
}

// Emits one of webrtcbin's promise signals; desc is the description to set, or null for those whose first argument
// (options, or the pad of get-stats) we leave unset.
StructureRef Session::run(const char* signal, const GstWebRTCSessionDescription* desc, std::string* error) {
  auto state = std::make_shared<PromiseState>();
  PromiseRef promise(
      gst_promise_new_with_change_func(promise_changed, new std::shared_ptr<PromiseState>(state), promise_state_free));
  g_signal_emit_by_name(webrtc_, signal, desc, promise.get());
  bool done;
  {
    std::unique_lock lock(state->m);
    done =
        state->cv.wait_for(lock, std::chrono::milliseconds(options_.operation_timeout_ms), [&] { return state->done; });
  }
  if (!done) {
    gst_promise_interrupt(promise.get());
    *error = std::string(signal) + " timed out after " + std::to_string(options_.operation_timeout_ms) + " ms";
    return nullptr;
  }
  if (gst_promise_wait(promise.get()) != GST_PROMISE_RESULT_REPLIED) {
    *error = std::string(signal) + " was interrupted";
    return nullptr;
  }
  const GstStructure* reply = gst_promise_get_reply(promise.get());   // owned by the promise
  if (!reply) return StructureRef(gst_structure_new_empty("reply"));  // set-*-description replies with nothing
  if (!gst_structure_has_field(reply, "error")) return StructureRef(gst_structure_copy(reply));
  ErrorRef err;
  gst_structure_get(reply, "error", G_TYPE_ERROR, static_cast<GError**>(out(err)), nullptr);
  std::string message = err ? err->message : "failed";
  // webrtcbin 1.22 refuses any direction change but to inactive, yet only after it has taken the description
  // (signalling state stable, SDPs current); only its transceiver bookkeeping stays behind. Our valves enforce
  // the negotiated direction, so hold keeps working on the wire (as matrix-js-sdk expects) and we go on.
  if (message.find("transceiver direction changes are not implemented") != std::string::npos) {
    return StructureRef(gst_structure_new_empty("reply"));
  }
  *error = std::string(signal) + ": " + message;
  return nullptr;
}

void Session::set_transceiver_directions(bool answering) {
  // Hold is sendonly on the wire, never inactive: webrtcbin 1.22 ends its receive pads on inactive and never
  // restarts them. When both sides hold, the answer must still be recvonly, so an answerer that holds keeps recv.
  GstWebRTCRTPTransceiverDirection dir = GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV;
  if (holding_) {
    bool peer_holds_us = answering && remote_ && remote_->first("audio") &&
                         !receives(remote_->lines[*remote_->first("audio")].direction);
    dir = peer_holds_us ? GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV : GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY;
  }
  for (SendBranch* branch : {audio_ ? &*audio_ : nullptr, video_ ? &*video_ : nullptr}) {
    if (!branch || !branch->webrtc_pad) continue;
    if (auto transceiver = object_property<TransceiverRef>(branch->webrtc_pad.get(), "transceiver")) {
      g_object_set(transceiver.get(), "direction", dir, nullptr);
    }
  }
}

void Session::apply_gates() {
  auto peer_receives = [&](const char* kind) {
    if (!remote_) return true;
    auto index = remote_->first(kind);
    // The peer's line says what it does; it receives from us when it is sendrecv or recvonly.
    return index && receives(remote_->lines[*index].direction);
  };
  bool base = !holding_ && !local_no_send_;
  auto gate = [&](std::optional<SendBranch>& branch, bool open, bool video) {
    if (!branch) return;
    if (open && !branch->open && video) {
      // The decoder on the other side waits for a keyframe after a gap; ask for one now instead of in 2 s.
      PadRef src(gst_element_get_static_pad(branch->encoder, "src"));
      gst_pad_send_event(src.get(), gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
    }
    branch->open = open;
    g_object_set(branch->valve, "drop", open ? FALSE : TRUE, nullptr);
  };
  gate(audio_, base && !muted_audio_ && peer_receives("audio"), false);
  gate(video_, base && !muted_video_ && peer_receives("video"), true);
  gate_screenshare(base);
}

void Session::wait_for_sender_caps() {
  // webrtcbin writes the codec parameters (fmtp) and the ssrc-level msid from the caps a sender has pushed; a
  // description created before the first caps event names neither, and sdp_stream_metadata would name no stream.
  auto deadline = std::chrono::steady_clock::now() + kSenderCapsWaitLimit;
  for (GstPad* pad : waiting_for_caps_) {
    while (!gst_pad_has_current_caps(pad) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(kSenderCapsPollInterval);
    }
  }
  waiting_for_caps_.clear();
}

bool Session::describe(bool offer, const std::string& stream_id, bool restart_ice) {
  wait_for_sender_caps();
  for (SendBranch* branch : {audio_ ? &*audio_ : nullptr, video_ ? &*video_ : nullptr}) {
    if (branch && branch->webrtc_pad && !stream_id.empty()) {
      g_object_set(branch->webrtc_pad.get(), "msid", stream_id.c_str(), nullptr);
    }
  }
  std::string error;
  SessionDescriptionRef desc;
  if (StructureRef reply = run(offer ? "create-offer" : "create-answer", nullptr, &error)) {
    gst_structure_get(reply.get(), offer ? "offer" : "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION,
                      static_cast<GstWebRTCSessionDescription**>(out(desc)), nullptr);
  }
  if (!desc) {
    fail(MediaFailure::local_description, error.empty() ? "webrtcbin gave no description" : error);
    return false;
  }
  std::string text(GCharRef(gst_sdp_message_as_text(desc->sdp)).get());
  std::string sdp = with_dtmf_negotiated(text, offer);
  bool munge = sdp != text;
  if (restart_ice) ice_credentials_ = new_ice_credentials();
  munge = munge || ice_credentials_.has_value();
  if (ice_credentials_) sdp = with_ice_credentials(sdp, ice_credentials_->first, ice_credentials_->second);
  // After the first exchange, webrtcbin 1.22 writes a=setup from its own bookkeeping, not from the DTLS role that
  // was negotiated; libwebrtc refuses a flipped role ("Offerer must use current negotiated role for setup
  // attribute", "Failed to set SSL role"). Offers say actpass (the answerer then keeps its role), answers our role.
  std::string_view wanted_setup = offer ? "actpass" : dtls_role_ ? std::string_view(*dtls_role_) : "";
  if (dtls_role_ && setup_of(sdp) != wanted_setup) {
    sdp = with_setup(sdp, wanted_setup);
    munge = true;
  } else if (!offer && !dtls_role_) {
    dtls_role_ = setup_of(sdp);
  }
  if (munge) {
    GstSDPMessage* munged = nullptr;
    gst_sdp_message_new_from_text(sdp.c_str(), &munged);
    gst_sdp_message_free(desc->sdp);  // a field of desc, which owns the replacement from here
    desc->sdp = munged;
  }
  if (auto parsed = parse_sdp(sdp); auto* info = std::get_if<SdpInfo>(&parsed)) {
    std::lock_guard lock(mu_);
    local_ = *info;
  }
  note_telephone_events(sdp, false, offer ? "offer" : "answer");
  // The first description is held until gathering ends (set-local-description starts it) or its wait is over, so
  // the candidates found by then ride inside it (rule 30; early_candidates.cpp). Any other goes out before
  // set-local-description, so no candidate can overtake it.
  bool gather_first = !first_description_done_ && !restart_ice && options_.candidate_gathering_wait_ms > 0;
  first_description_done_ = true;
  if (gather_first) {
    std::lock_guard lock(mu_);
    collecting_candidates_ = true;
  } else {
    emit(ev::LocalDescription{offer ? "offer" : "answer", sdp});
  }
  if (restart_ice) restart_ice_streams();
  if (!run("set-local-description", desc.get(), &error)) {
    {
      std::lock_guard lock(mu_);
      collecting_candidates_ = false;
    }
    fail(MediaFailure::local_description, error);
    return false;
  }
  if (gather_first) hold_first_description(offer ? "offer" : "answer", std::move(sdp));
  // webrtcbin gathers once; after a restart the peer has forgotten our candidates. (Candidates inside the peer's
  // restart offer need nothing: webrtcbin adds them when this answer makes the session stable, after the restart.)
  if (restart_ice) announce_local_candidates();
  if (gathering_complete_ && !gathering_complete_reported_) {
    gathering_complete_reported_ = true;
    emit(ev::GatheringComplete{});
  } else if (gathering_complete_reported_) {
    emit(ev::GatheringComplete{});  // a renegotiation gathers nothing new: say so, as for the first description
  }
  return true;
}

void Session::create_offer(const op_t::CreateOffer& op) {
  if (!pipeline_ || closed_ || failed_) return;
  if (op.media.audio && !audio_ && !build_audio_branch(kOpus.offered_payload_type, std::nullopt)) return;
  if (op.media.video && !video_) {
    if (std::holds_alternative<std::monostate>(options_.video_source)) {
      add_recvonly_video_transceiver();
    } else if (!build_video_branch(kVp8.offered_payload_type, std::nullopt)) {
      return;
    }
  }
  if (!update_screenshare(op.screenshare_stream_id)) return;
  bool restart = op.ice_restart || restart_pending_;
  restart_pending_ = false;
  set_transceiver_directions(false);
  apply_gates();
  describe(true, op.stream_id, restart);
}

void Session::create_answer(const op_t::CreateAnswer& op) {
  if (!pipeline_ || closed_ || failed_) return;
  if (!remote_ || remote_type_ != "offer") {
    fail(MediaFailure::local_description, "create_answer without a remote offer");
    return;
  }
  auto audio_line = remote_->first("audio");
  int opus_pt = *remote_->lines[*audio_line].opus_pt;  // check_remote_sdp guaranteed both
  if (!audio_) {
    if (op.media.audio && !build_audio_branch(opus_pt, *audio_line)) return;
  } else {
    set_payload_type(*audio_, kOpus, opus_pt);
  }
  if (auto video_line = remote_->first("video"); video_line && remote_->lines[*video_line].vp8_pt) {
    int vp8_pt = *remote_->lines[*video_line].vp8_pt;
    if (!video_ && op.media.video && !std::holds_alternative<std::monostate>(options_.video_source)) {
      if (!build_video_branch(vp8_pt, *video_line)) return;
    } else if (video_) {
      set_payload_type(*video_, kVp8, vp8_pt);
    }
  }
  set_transceiver_directions(true);
  apply_gates();
  // An offer with new credentials restarts ICE (RFC 8839 4.4.1.1.1): the answer must change its own too.
  bool peer_restarted = peer_restarted_ice_;
  peer_restarted_ice_ = false;
  describe(false, op.stream_id, peer_restarted);
}

void Session::set_remote_description(const op_t::SetRemoteDescription& op) {
  if (!pipeline_ || closed_ || failed_) return;
  if (op.sdp.size() > options_.max_remote_sdp_bytes) {
    fail(MediaFailure::remote_description, "the remote SDP is " + std::to_string(op.sdp.size()) +
                                               " bytes, over the limit of " +
                                               std::to_string(options_.max_remote_sdp_bytes));
    return;
  }
  GstWebRTCSDPType type;
  if (op.type == "offer") {
    type = GST_WEBRTC_SDP_TYPE_OFFER;
  } else if (op.type == "answer") {
    type = GST_WEBRTC_SDP_TYPE_ANSWER;
  } else {
    fail(MediaFailure::remote_description, "unsupported remote description type \"" + op.type + "\"");
    return;
  }
  auto parsed = parse_sdp(op.sdp);
  if (auto* error = std::get_if<std::string>(&parsed)) {
    fail(MediaFailure::remote_description, "remote " + op.type + ": " + *error);
    return;
  }
  SdpInfo info = std::get<SdpInfo>(parsed);
  if (auto problem = check_remote_sdp(info)) {
    fail(MediaFailure::remote_description, "remote " + op.type + ": " + *problem);
    return;
  }
  // An answer that says a=inactive (matrix-js-sdk's libwebrtc answers our hold offer so while it holds us: mutual
  // hold) would end webrtcbin 1.22's receive pads for good, and audio would never come back after both resume. The
  // answerer neither sends nor receives; webrtcbin is told only "recvonly" (it receives, it does not send), which
  // keeps the pads alive. remote_ keeps the real direction, so the valves stop our media as inactive requires.
  std::string sdp = op.type == "answer" ? with_inactive_as(op.sdp, "recvonly") : op.sdp;
  GstSDPMessage* msg = nullptr;
  gst_sdp_message_new_from_text(sdp.c_str(), &msg);
  SessionDescriptionRef desc(gst_webrtc_session_description_new(type, msg));  // takes msg
  std::string error;
  if (!run("set-remote-description", desc.get(), &error)) {
    fail(MediaFailure::remote_description, "remote " + op.type + " refused by webrtcbin: " + error);
    return;
  }
  if (op.type == "offer") peer_restarted_ice_ = remote_ && remote_->ice_ufrag != info.ice_ufrag;
  if (op.type == "answer" && !dtls_role_) {
    auto peer_role = setup_of(op.sdp);
    if (peer_role == "active") dtls_role_ = "passive";
    if (peer_role == "passive") dtls_role_ = "active";
  }
  note_telephone_events(op.sdp, true, op.type);
  remote_ = std::move(info);
  remote_type_ = op.type;
  note_remote_streams(op);
  apply_gates();
}

void Session::add_remote_candidate(const op_t::AddRemoteCandidate& op) {
  if (!pipeline_ || closed_ || failed_) return;
  std::string candidate = op.candidate;
  if (candidate.starts_with("a=")) candidate.erase(0, 2);
  // An end-of-candidates marker in candidate form ("" or "a=end-of-candidates"): never fed to the agent (digest 8.9).
  if (candidate.empty() || candidate == "end-of-candidates") return;
  RemoteMedia remote;
  if (remote_) {
    remote.mline_count = remote_->lines.size();
    remote.context = &*remote_;
    remote.index_of_mid = [](const void* info, std::string_view mid) {
      return static_cast<const SdpInfo*>(info)->index_of_mid(mid);
    };
  }
  CandidateTarget target{op.sdp_mline_index, op.sdp_mid ? std::optional<std::string_view>(*op.sdp_mid) : std::nullopt};
  auto verdict =
      check_remote_candidate(candidate, target, remote, remote_candidates_accepted_, options_.candidate_limits);
  if (!verdict.accepted) {
    std::lock_guard lock(mu_);
    ++candidates_dropped_;
    last_candidate_drop_ = verdict.why;
    g_message("mxcall: call %s: remote candidate dropped: %s", config_.call.call_id.c_str(), verdict.why.c_str());
    return;
  }
  ++remote_candidates_accepted_;
  g_signal_emit_by_name(webrtc_, "add-ice-candidate", verdict.mline, candidate.c_str());
}

void Session::end_of_remote_candidates() {
  // libnice keeps checking the pairs it has; with trickle the marker changes nothing we can act on in 1.22.
}

void Session::set_direction(Direction direction) {
  holding_ = direction == Direction::sendonly || direction == Direction::inactive;
  local_no_send_ = direction == Direction::recvonly;
  // Holding stops our media at once; the SDP that follows (create_offer) tells the peer to stop too.
  apply_gates();
}

void Session::set_muted(const op_t::SetMuted& op) {
  muted_audio_ = op.audio;
  muted_video_ = op.video;
  apply_gates();
}

void Session::restart_ice() { restart_pending_ = true; }

void Session::close() {
  if (closed_.exchange(true) || !pipeline_) return;
  stop_watchdog();
  stop_dtmf();
  g_signal_handlers_disconnect_by_data(webrtc_, this);
  if (ElementRef rtpbin{gst_bin_get_by_name(GST_BIN(webrtc_), "rtpbin")}) {
    g_signal_handlers_disconnect_by_data(rtpbin.get(), this);
  }
  ElementRef wav;
  {
    std::lock_guard lock(mu_);
    wav = std::move(wav_encoder_);
  }
  if (wav) {
    // wavenc writes the RIFF sizes only on EOS; the pad's stream lock orders this after any buffer in flight.
    PadRef pad(gst_element_get_static_pad(wav.get(), "sink"));
    gst_pad_send_event(pad.get(), gst_event_new_eos());
  }
  gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
  for (SendBranch* branch : {audio_ ? &*audio_ : nullptr, video_ ? &*video_ : nullptr}) {
    if (branch) branch->webrtc_pad.reset();
  }
  BusRef bus(gst_element_get_bus(pipeline_.get()));
  gst_bus_set_sync_handler(bus.get(), nullptr, nullptr, nullptr);
}

void Session::on_ice_candidate(GstElement*, guint mline, gchar* candidate, Session* self) {
  if (!candidate || !*candidate) return;
  ev::LocalCandidate out;
  out.candidate = candidate;
  out.sdp_mline_index = mline;
  {
    std::lock_guard lock(self->mu_);
    if (self->collecting_candidates_) {
      self->collected_.push_back({mline, candidate});
      return;
    }
    if (mline < self->local_.lines.size() && !self->local_.lines[mline].mid.empty()) {
      out.sdp_mid = self->local_.lines[mline].mid;
    }
  }
  self->emit(std::move(out));
}

void Session::on_ice_state(GObject* webrtc, GParamSpec*, Session* self) {
  GstWebRTCICEConnectionState state;
  g_object_get(webrtc, "ice-connection-state", &state, nullptr);
  std::optional<protocol::IceState> mapped;
  switch (state) {
    case GST_WEBRTC_ICE_CONNECTION_STATE_CHECKING: mapped = protocol::IceState::checking; break;
    case GST_WEBRTC_ICE_CONNECTION_STATE_CONNECTED:
    case GST_WEBRTC_ICE_CONNECTION_STATE_COMPLETED: mapped = protocol::IceState::connected; break;
    case GST_WEBRTC_ICE_CONNECTION_STATE_DISCONNECTED: mapped = protocol::IceState::disconnected; break;
    case GST_WEBRTC_ICE_CONNECTION_STATE_FAILED: mapped = protocol::IceState::failed; break;
    case GST_WEBRTC_ICE_CONNECTION_STATE_CLOSED: mapped = protocol::IceState::closed; break;
    default: break;
  }
  if (!mapped) return;
  // connected and completed are one state for the protocol: report changes only.
  if (self->ice_state_.exchange(static_cast<int>(*mapped)) == static_cast<int>(*mapped)) return;
  self->emit(ev::IceStateChanged{*mapped});
}

void Session::on_gathering_state(GObject* webrtc, GParamSpec*, Session* self) {
  GstWebRTCICEGatheringState state;
  g_object_get(webrtc, "ice-gathering-state", &state, nullptr);
  if (state != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE || self->gathering_complete_.exchange(true)) return;
  self->release_held_description();
  self->emit(ev::GatheringComplete{});
}

GstBusSyncReply Session::on_bus_message(GstBus*, GstMessage* message, Session* self) {
  switch (GST_MESSAGE_TYPE(message)) {
    case GST_MESSAGE_ERROR: {
      ErrorRef err;
      GCharRef debug;
      gst_message_parse_error(message, out(err), out(debug));
      std::string source = GST_MESSAGE_SRC_NAME(message) ? GST_MESSAGE_SRC_NAME(message) : "?";
      std::string detail = source + ": " + (err ? err->message : "error");
      // Errors from our sources (device busy, file missing, no camera) are the user's media, not the call's.
      const char* local = nullptr;
      for (GstObject* o = GST_MESSAGE_SRC(message); o; o = GST_OBJECT_PARENT(o)) {
        const char* name = GST_OBJECT_NAME(o);
        if (name && g_str_equal(name, "asrc")) local = "audio source (asrc) ";
        if (name && g_str_equal(name, "vsrc")) local = "video source (vsrc) ";
      }
      self->fail(local ? MediaFailure::local_media : MediaFailure::internal, (local ? local : "") + detail);
      break;
    }
    case GST_MESSAGE_ELEMENT: {
      const GstStructure* s = gst_message_get_structure(message);
      if (s && gst_structure_has_name(s, "level")) {
        const GValue* rms = gst_structure_get_value(s, "rms");
        G_GNUC_BEGIN_IGNORE_DEPRECATIONS  // level's rms is a GValueArray in 1.22
            if (rms && G_VALUE_HOLDS(rms, g_value_array_get_type())) {
          auto* array = static_cast<GValueArray*>(g_value_get_boxed(rms));
          if (array && array->n_values > 0) {
            double db = g_value_get_double(g_value_array_get_nth(array, 0));
            const char* name = GST_OBJECT_NAME(GST_MESSAGE_SRC(message));
            bool sent = name && std::string_view(name) == kSentLevelName;
            (sent ? self->sent_audio_level_ : self->audio_level_) = std::pow(10.0, db / 20.0);
          }
        }
        G_GNUC_END_IGNORE_DEPRECATIONS
      }
      break;
    }
    default: break;
  }
  return GST_BUS_DROP;
}

GstSessionCounters Session::counters() const {
  GstSessionCounters c;
  c.rtp_packets_sent_audio = sent_audio_;
  c.rtp_packets_sent_video = sent_video_;
  c.rtp_packets_received_audio = recv_audio_;
  c.rtp_packets_received_video = recv_video_;
  c.audio_samples_decoded = samples_decoded_;
  c.video_frames_decoded = frames_decoded_;
  c.screenshare_frames_decoded = screenshare_frames_decoded_;
  c.max_audio_gap_ms = static_cast<double>(max_gap_ns_.load()) / 1e6;
  c.jitter_buffer_ms = jitter_buffer_latency_ms();
  c.send_audio_open = audio_ && audio_->open;
  c.send_video_open = video_ && video_->open;
  std::lock_guard lock(mu_);
  c.remote_candidates_dropped = candidates_dropped_;
  c.last_candidate_drop = last_candidate_drop_;
  return c;
}

void Session::reset_gap_measurement() {
  last_audio_ns_ = 0;
  max_gap_ns_ = 0;
}

}  // namespace mxcall::media::gst
