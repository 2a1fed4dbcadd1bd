// One call's pipeline: webrtcbin plus our send branches (source, valve, encoder, payloader) and the receive branches
// it asks for (pad-added). Signalling operations run synchronously on the caller's thread: each waits for
// webrtcbin's promise (bounded by operation_timeout_ms), so the protocol never sees events out of order and a
// stuck webrtcbin becomes a Failed event rather than a hang. ICE callbacks arrive on webrtcbin's threads.
#pragma once

#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "dtmf_state.hpp"
#include "gst_handles.hpp"
#include "mxcall/media/gst_media_engine.hpp"
#include "sdp_info.hpp"

namespace mxcall::media::gst {

inline std::int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// A codec we send, as RTP caps name it.
struct RtpCodec {
  const char* media;
  const char* encoding;
  int clock_rate;
  int offered_payload_type;  // ours when we offer; an answer takes the peer's number instead
};
// The dynamic payload types (RFC 3551 section 3) browsers offer these codecs under, so our offers read as theirs.
inline constexpr RtpCodec kOpus{"audio", "OPUS", 48000, 111};
inline constexpr RtpCodec kVp8{"video", "VP8", 90000, 96};
// The name of the level element on the audio sender; the bus handler tells the two audio levels apart by it.
inline constexpr const char* kSentLevelName = "send-level";

// A send branch ending in a webrtcbin sink pad. Elements are owned by the pipeline; pointers stay valid until close.
struct SendBranch {
  GstElement* valve = nullptr;
  GstElement* encoder = nullptr;
  GstElement* payloader = nullptr;
  GstElement* rtp_caps = nullptr;  // capsfilter naming the payload type: webrtcbin reads the PT from these caps
  PadRef webrtc_pad{};             // request pad on webrtcbin, released on close
  int payload_type = 0;
  bool open = false;
};

class Session final : public GstMediaSession {
 public:
  Session(const GstEngineOptions& options, SessionConfig config, MediaEventSink& sink);
  ~Session() override;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Whether the constructor managed to build and start the pipeline; when not, a Failed event was already sent.
  bool started() const { return pipeline_ != nullptr; }

  void create_offer(const protocol::media_op::CreateOffer& op) override;
  void create_answer(const protocol::media_op::CreateAnswer& op) override;
  void set_remote_description(const protocol::media_op::SetRemoteDescription& op) override;
  void add_remote_candidate(const protocol::media_op::AddRemoteCandidate& op) override;
  void end_of_remote_candidates() override;
  void set_direction(protocol::Direction direction) override;
  void set_muted(const protocol::media_op::SetMuted& op) override;
  void restart_ice() override;
  void send_dtmf(const protocol::media_op::SendDtmf& op) override;
  void close() override;
  SessionStats stats() const override;
  GstSessionCounters counters() const override;
  void reset_gap_measurement() override;

 private:
  // branches.cpp
  bool build_audio_branch(int payload_type, std::optional<std::uint32_t> mline);
  bool build_video_branch(int payload_type, std::optional<std::uint32_t> mline);
  bool build_video_sender(const VideoSource& from, const char* source_name, std::optional<SendBranch>& slot,
                          int payload_type, std::optional<std::uint32_t> mline);
  bool finish_send_branch(std::optional<SendBranch>& slot, std::initializer_list<GstElement*> chain, SendBranch parts,
                          const RtpCodec& codec, int payload_type, std::optional<std::uint32_t> mline);
  bool attach_branch(SendBranch& branch, GstElement* last, std::optional<std::uint32_t> mline, const char* kind);
  void set_payload_type(SendBranch& branch, const RtpCodec& codec, int payload_type);
  void add_receive_branch(GstPad* pad);
  void add_audio_receiver(GstPad* pad);
  void add_video_receiver(GstPad* pad, VideoSink to, std::atomic<std::uint64_t>& frames);
  void add_discarding_receiver(GstPad* pad);
  ElementRef make_audio_sink();
  void add_recvonly_video_transceiver();
  static void on_pad_added(GstElement* webrtc, GstPad* pad, Session* self);

  // screenshare.cpp
  bool update_screenshare(const std::string& stream_id);
  void gate_screenshare(bool open);
  bool screenshare_started(GstPad* pad);
  void note_remote_streams(const protocol::media_op::SetRemoteDescription& op);

  // dtmf.cpp
  bool add_dtmf_source(GstElement* mux);
  void install_dtmf_receiver(GstElement* rtpbin);
  std::string with_dtmf_negotiated(const std::string& sdp, bool offer);
  void note_telephone_events(const std::string& sdp, bool remote, const std::string& type);
  void pace_dtmf();
  void stop_dtmf();
  static void on_rtpbin_pad_added(GstElement* rtpbin, GstPad* pad, Session* self);
  static GstPadProbeReturn on_received_rtp(GstPad* pad, GstPadProbeInfo* info, Session* self);
  static GstPadProbeReturn on_dtmf_packet_out(GstPad* pad, GstPadProbeInfo* info, Session* self);

  // liveness.cpp
  void start_watchdog();
  void stop_watchdog();
  void watchdog_tick();
  static void on_ssrc_active(GstElement* rtpbin, guint session, guint ssrc, Session* self);

  // jitter_buffer.cpp
  void adapt_jitter_buffer();
  void grow_jitter_buffer(const std::vector<ElementRef>& buffers);
  std::vector<ElementRef> jitter_buffers() const;
  std::uint32_t jitter_buffer_latency_ms() const;
  static void on_new_jitterbuffer(GstElement* rtpbin, GstElement* jitterbuffer, guint session, guint ssrc,
                                  Session* self);

  // ice_restart.cpp
  void restart_ice_streams();
  void announce_local_candidates();

  // session.cpp
  void wait_for_sender_caps();
  void hold_first_description(std::string type, std::string sdp);
  void release_held_description();
  bool describe(bool offer, const std::string& stream_id, bool restart_ice);
  void apply_gates();
  void set_transceiver_directions(bool answering);
  void fail(protocol::MediaFailure failure, std::string detail);
  void emit(protocol::MediaEventKind event);
  StructureRef run(const char* signal, const GstWebRTCSessionDescription* desc, std::string* error);
  static void on_ice_candidate(GstElement* webrtc, guint mline, gchar* candidate, Session* self);
  static void on_ice_state(GObject* webrtc, GParamSpec*, Session* self);
  static void on_gathering_state(GObject* webrtc, GParamSpec*, Session* self);
  static GstBusSyncReply on_bus_message(GstBus* bus, GstMessage* message, Session* self);

  GstEngineOptions options_;
  SessionConfig config_;
  MediaEventSink& sink_;
  ElementRef pipeline_;
  GstElement* webrtc_ = nullptr;  // owned by pipeline_
  std::optional<SendBranch> audio_, video_;
  std::vector<GstPad*> waiting_for_caps_;  // new sender pads whose caps webrtcbin has not seen yet

  // App-thread state.
  bool holding_ = false;        // we put the peer on hold (sendonly/inactive asked): we stop sending too
  bool local_no_send_ = false;  // recvonly asked: webrtcbin cannot offer it on a used transceiver; gate instead
  bool muted_audio_ = false, muted_video_ = false;
  bool restart_pending_ = false;
  // webrtcbin 1.22 cannot restart ICE: it reuses its first credentials in every description. After a restart
  // (ours or the peer's) we put fresh ones in each local description; webrtcbin hands them to libnice from there.
  std::optional<std::pair<std::string, std::string>> ice_credentials_;
  bool peer_restarted_ice_ = false;  // the remote offer last set changed its credentials
  std::optional<SdpInfo> remote_;
  std::string remote_type_;
  // Our DTLS role ("active" or "passive") once the first offer/answer settled it. RFC 8842 section 5.5: a later
  // answer keeps it; webrtcbin 1.22 answers "active" every time, which libwebrtc refuses ("Failed to set SSL role
  // for the transport") when we were the passive side: every renegotiation matrix-js-sdk starts in a call we placed.
  std::optional<std::string> dtls_role_;
  bool gathering_complete_reported_ = false;
  bool first_description_done_ = false;
  std::size_t remote_candidates_accepted_ = 0;  // against options_.candidate_limits.max_per_session

  // Shared with GStreamer threads.
  mutable std::mutex mu_;
  SdpInfo local_;  // mids for our candidates
  // Until our first description goes out, on_ice_candidate keeps the candidates here: they ride inside it (rule 30).
  bool collecting_candidates_ = false;
  std::vector<GatheredCandidate> collected_;
  // Our first description, held with them until gathering ends or the watchdog finds its deadline passed.
  struct HeldDescription {
    std::string type;
    std::string sdp;
  };
  std::optional<HeldDescription> held_description_;
  std::uint64_t candidates_dropped_ = 0;
  std::string last_candidate_drop_;
  bool wav_sink_used_ = false;  // the WAV file records the first audio stream only
  ElementRef wav_encoder_;      // sent EOS on close, so the WAV header gets its sizes
  std::atomic<bool> closed_{false};
  std::atomic<bool> failed_{false};
  std::atomic<int> ice_state_{-1};
  std::atomic<bool> gathering_complete_{false};
  std::atomic<std::uint64_t> sent_audio_{0}, sent_video_{0}, recv_audio_{0}, recv_video_{0};
  std::atomic<std::uint64_t> samples_decoded_{0}, frames_decoded_{0};
  std::atomic<double> audio_level_{-1.0};
  std::atomic<double> sent_audio_level_{-1.0};
  std::atomic<std::int64_t> last_audio_ns_{0};
  std::atomic<std::int64_t> max_gap_ns_{0};

  DtmfState dtmf_;
  // The peer's screen shares (screenshare.cpp), under mu_: the msid stream id of each remote m-line, the ids its
  // metadata calls m.screenshare, the m-lines webrtcbin gave a pad for such a stream, and those reported active.
  std::vector<std::string> remote_stream_ids_;
  std::vector<std::string> screenshare_ids_;
  std::map<std::uint32_t, std::string> screenshare_pads_;
  std::map<std::uint32_t, std::string> screenshares_active_;
  std::atomic<std::uint64_t> screenshare_frames_decoded_{0};
  // Our own screen shares (app thread): one sender per share, the last one live while screenshare_id_ (its msid
  // stream id) is set. webrtcbin 1.22 cannot turn an inactive m-line back on, so each share gets an m-line of its own.
  std::vector<SendBranch> screenshares_;
  std::string screenshare_id_;

  // Liveness watchdog (liveness.cpp).
  std::thread watchdog_;
  std::mutex watchdog_mu_;
  std::condition_variable watchdog_cv_;
  bool watchdog_stop_ = false;
  std::optional<std::chrono::steady_clock::time_point> held_description_deadline_;  // under watchdog_mu_
  std::atomic<std::int64_t> last_rtcp_ns_{0};
  bool rtcp_interval_set_ = false;
  std::uint64_t watchdog_packets_ = 0;  // watchdog thread only
  std::int64_t watchdog_seen_ns_ = 0;
  // The latency every jitter buffer is given (jitter_buffer.cpp); late packets counted so far (watchdog thread only).
  std::atomic<std::uint32_t> jitter_buffer_ms_{0};
  std::uint64_t late_packets_seen_ = 0;
};

}  // namespace mxcall::media::gst
