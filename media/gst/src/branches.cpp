// Building the pipeline pieces: send branches (one per kind, created when first needed so a voice call never opens
// the camera) and receive branches (one per webrtcbin src pad).
#include <gst/video/video.h>

#include <iterator>
#include <string>

#include "session.hpp"

namespace mxcall::media::gst {
namespace {

// Raw formats between the codecs and the devices: Opus's native rate, mono (calls are speech).
constexpr const char* kSendAudioFormat = "audio/x-raw,rate=48000,channels=1";
constexpr const char* kReceivedAudioFormat = "audio/x-raw,format=S16LE,rate=48000,channels=1";
constexpr std::size_t kReceivedSampleBytes = 2;  // S16LE mono
// How often the level elements report the audio levels (SessionStats::audio_level, sent_audio_level).
constexpr guint64 kLevelInterval = 200 * GST_MSECOND;
// videotestsrc's "ball" pattern: it moves, so VP8 has work (a still pattern encodes to almost nothing).
constexpr int kMovingBallPattern = 18;
// Nheko's VP8 settings, which browsers decode; a keyframe every 2 s bounds the damage of a lost one.
constexpr gint64 kVp8Realtime = 1;  // vp8enc's deadline in microseconds: 1 is its fastest ("realtime") mode
constexpr int kVideoBitrate = 500'000;
constexpr int kKeyframeIntervalSeconds = 2;
constexpr int kVp8CpuUsed = 4;
// The video queue before the encoder keeps 2 frames and drops the oldest: latency over completeness.
constexpr guint kVideoQueueFrames = 2;
constexpr int kQueueLeakyDownstream = 2;
constexpr int kValveForwardStickyEvents = 1;  // valve's drop-mode that still lets caps through a closed valve

template <typename... E>
bool all_made(const E&... elements) {
  return ((elements != nullptr) && ...);
}

// Adds the elements to the bin (which keeps them from here) and links them in order.
bool add_chain(GstBin* bin, std::initializer_list<GstElement*> chain) {
  for (GstElement* e : chain) gst_bin_add(bin, e);
  GstElement* prev = nullptr;
  for (GstElement* e : chain) {
    if (prev && !gst_element_link(prev, e)) return false;
    prev = e;
  }
  return true;
}

// Downstream first: a live source started before its consumers pushes into flushing pads and stops for good
// (it happened one call in five: a sender that never sent).
void sync_all(std::initializer_list<GstElement*> chain) {
  for (auto it = std::rbegin(chain); it != std::rend(chain); ++it) gst_element_sync_state_with_parent(*it);
}

void set_caps(GstElement* capsfilter, CapsRef caps) { g_object_set(capsfilter, "caps", caps.get(), nullptr); }

CapsRef rtp_caps(const RtpCodec& codec, int payload_type) {
  CapsRef caps(gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING, codec.media, "encoding-name",
                                   G_TYPE_STRING, codec.encoding, "payload", G_TYPE_INT, payload_type, "clock-rate",
                                   G_TYPE_INT, codec.clock_rate, nullptr));
  // Browsers only recognise Opus as "opus/48000/2" (RFC 7587), whatever the channel count actually sent.
  if (g_str_equal(codec.encoding, kOpus.encoding))
    gst_caps_set_simple(caps.get(), "encoding-params", G_TYPE_STRING, "2", nullptr);
  return caps;
}

TransceiverRef transceiver_for_mline(GstElement* webrtc, std::uint32_t mline) {
  ArrayRef all;
  g_signal_emit_by_name(webrtc, "get-transceivers", static_cast<GArray**>(out(all)));
  for (guint i = 0; all && i < all->len; ++i) {
    auto* t = g_array_index(all.get(), GstWebRTCRTPTransceiver*, i);
    guint index = G_MAXUINT;
    g_object_get(t, "mlineindex", &index, nullptr);
    if (index == mline) return TransceiverRef(GST_WEBRTC_RTP_TRANSCEIVER(gst_object_ref(t)));
  }
  return nullptr;
}

// Counts the buffers crossing a pad (RTP packets, decoded frames): proof for tests that media flows or stops.
void count_buffers(GstPad* pad, std::atomic<std::uint64_t>& counter) {
  gst_pad_add_probe(
      pad, GST_PAD_PROBE_TYPE_BUFFER,
      [](GstPad*, GstPadProbeInfo*, gpointer data) {
        static_cast<std::atomic<std::uint64_t>*>(data)->fetch_add(1, std::memory_order_relaxed);
        return GST_PAD_PROBE_OK;
      },
      &counter, nullptr);
}

void link_to_sink_of(GstPad* pad, GstElement* first) {
  PadRef sink(gst_element_get_static_pad(first, "sink"));
  gst_pad_link(pad, sink.get());
}

void set_unsynchronised(GstElement* sink) { g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr); }

}  // namespace

bool Session::attach_branch(SendBranch& branch, GstElement* last, std::optional<std::uint32_t> mline,
                            const char* kind) {
  // Answering: webrtcbin already made a receive-only transceiver for the peer's m-line. Requesting "sink_<mline>"
  // binds our pad to exactly that transceiver once it may send; an unnamed pad would add a new m-line instead.
  std::string pad_name = "sink_%u";
  if (mline) {
    if (TransceiverRef t = transceiver_for_mline(webrtc_, *mline)) {
      g_object_set(t.get(), "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV, nullptr);
    }
    pad_name = "sink_" + std::to_string(*mline);
  }
  PadRef pad(gst_element_request_pad_simple(webrtc_, pad_name.c_str()));
  if (!pad) {
    fail(protocol::MediaFailure::internal, std::string("webrtcbin refused a ") + kind + " sink pad (" + pad_name + ")");
    return false;
  }
  PadRef src(gst_element_get_static_pad(last, "src"));
  if (gst_pad_link(src.get(), pad.get()) != GST_PAD_LINK_OK) {
    gst_element_release_request_pad(webrtc_, pad.get());
    fail(protocol::MediaFailure::internal, std::string("could not link the ") + kind + " sender to webrtcbin");
    return false;
  }
  // Count what we hand to webrtcbin: proof for tests that muting and holding really stop the sender.
  count_buffers(pad.get(), std::string_view(kind) == "audio" ? sent_audio_ : sent_video_);
  waiting_for_caps_.push_back(pad.get());
  branch.webrtc_pad = std::move(pad);
  return true;
}

void Session::set_payload_type(SendBranch& branch, const RtpCodec& codec, int payload_type) {
  if (branch.payload_type == payload_type) return;
  branch.payload_type = payload_type;
  g_object_set(branch.payloader, "pt", static_cast<guint>(payload_type), nullptr);
  set_caps(branch.rtp_caps, rtp_caps(codec, payload_type));
}

bool Session::build_audio_branch(int payload_type, std::optional<std::uint32_t> mline) {
  ElementRef source;
  if (const auto* tone = std::get_if<audio_source::Tone>(&options_.audio_source)) {
    source = make_element("audiotestsrc", "asrc");
    if (source) {
      g_object_set(source.get(), "is-live", TRUE, "freq", tone->frequency_hz, "volume", tone->volume, nullptr);
    }
  } else if (const auto* wav = std::get_if<audio_source::WavFile>(&options_.audio_source)) {
    source = adopt_floating(gst_parse_bin_from_description(
        // A file is not live: identity sync=true paces it to real time, or it would be sent as fast as it reads.
        ("filesrc location=\"" + wav->path + "\" ! wavparse ! audioconvert ! identity sync=true").c_str(), TRUE,
        nullptr));
    if (source) gst_element_set_name(source.get(), "asrc");
  } else {
    source = make_element("autoaudiosrc", "asrc");
  }
  ElementRef convert = make_element("audioconvert");
  ElementRef resample = make_element("audioresample");
  ElementRef raw_caps = make_element("capsfilter");
  // The sent level is measured before the mute valve: a meter shows a muted microphone still picking up speech.
  ElementRef level = make_element("level", kSentLevelName);
  ElementRef valve = make_element("valve");
  ElementRef encoder = make_element("opusenc");
  ElementRef payloader = make_element("rtpopuspay");
  ElementRef caps = make_element("capsfilter");
  ElementRef dtmf_mux = make_element("rtpdtmfmux");  // DTMF (dtmf.cpp) joins the audio stream here
  if (!all_made(source, convert, resample, raw_caps, level, valve, encoder, payloader, caps, dtmf_mux)) {
    fail(protocol::MediaFailure::local_media,
         "could not create the audio sender (is gstreamer1.0-plugins-base "
         "installed?); see check_ready()");
    return false;
  }
  set_caps(raw_caps.get(), CapsRef(gst_caps_from_string(kSendAudioFormat)));
  g_object_set(encoder.get(), "complexity", options_.opus_complexity, nullptr);
  g_object_set(level.get(), "interval", kLevelInterval, "post-messages", TRUE, nullptr);
  return finish_send_branch(audio_,
                            {source.get(), convert.get(), resample.get(), raw_caps.get(), level.get(), valve.get(),
                             encoder.get(), payloader.get(), caps.get(), dtmf_mux.get()},
                            {valve.get(), encoder.get(), payloader.get(), caps.get()}, kOpus, payload_type, mline) &&
         add_dtmf_source(dtmf_mux.get());
}

bool Session::build_video_branch(int payload_type, std::optional<std::uint32_t> mline) {
  return build_video_sender(options_.video_source, "vsrc", video_, payload_type, mline);
}

// A VP8 sender from `from` into `slot`: the camera's, or a screen share's (screenshare.cpp). `source_name` names the
// source element, which is how the bus tells errors of our own media apart.
bool Session::build_video_sender(const VideoSource& from, const char* source_name, std::optional<SendBranch>& slot,
                                 int payload_type, std::optional<std::uint32_t> mline) {
  ElementRef source;
  int width = 320, height = 240, fps = 15;
  if (const auto* pattern = std::get_if<video_source::TestPattern>(&from)) {
    source = make_element("videotestsrc", source_name);
    if (source) g_object_set(source.get(), "is-live", TRUE, "pattern", kMovingBallPattern, nullptr);
    width = pattern->width, height = pattern->height, fps = pattern->fps;
  } else if (const auto* cam = std::get_if<video_source::V4l2>(&from)) {
    source = adopt_floating(gst_parse_bin_from_description(
        ("v4l2src device=\"" + cam->device + "\" ! videoconvert ! videoscale ! videorate").c_str(), TRUE, nullptr));
    if (source) gst_element_set_name(source.get(), source_name);
    width = cam->width, height = cam->height, fps = cam->fps;
  } else {
    return false;
  }
  ElementRef raw_caps = make_element("capsfilter");
  ElementRef convert = make_element("videoconvert");
  ElementRef valve = make_element("valve");
  ElementRef queue = make_element("queue");
  ElementRef encoder = make_element("vp8enc");
  ElementRef payloader = make_element("rtpvp8pay");
  ElementRef caps = make_element("capsfilter");
  if (!all_made(source, raw_caps, convert, valve, queue, encoder, payloader, caps)) {
    fail(protocol::MediaFailure::local_media, "could not create the video sender; see check_ready()");
    return false;
  }
  set_caps(raw_caps.get(), CapsRef(gst_caps_new_simple("video/x-raw", "width", G_TYPE_INT, width, "height", G_TYPE_INT,
                                                       height, "framerate", GST_TYPE_FRACTION, fps, 1, nullptr)));
  g_object_set(queue.get(), "max-size-buffers", kVideoQueueFrames, "leaky", kQueueLeakyDownstream, nullptr);
  g_object_set(encoder.get(), "deadline", kVp8Realtime, "error-resilient", 1, "keyframe-max-dist",
               fps * kKeyframeIntervalSeconds, "target-bitrate", kVideoBitrate, "cpu-used", kVp8CpuUsed, nullptr);
  return finish_send_branch(slot,
                            {source.get(), raw_caps.get(), convert.get(), valve.get(), queue.get(), encoder.get(),
                             payloader.get(), caps.get()},
                            {valve.get(), encoder.get(), payloader.get(), caps.get()}, kVp8, payload_type, mline);
}

// The tail both sender branches share: the valve, the RTP payload type and caps, the chain linked in order, and the
// branch recorded and attached to webrtcbin.
bool Session::finish_send_branch(std::optional<SendBranch>& slot, std::initializer_list<GstElement*> chain,
                                 SendBranch parts, const RtpCodec& codec, int payload_type,
                                 std::optional<std::uint32_t> mline) {
  // A valve that starts closed (joined while muted) must still let caps through.
  g_object_set(parts.valve, "drop-mode", kValveForwardStickyEvents, "drop", TRUE, nullptr);
  g_object_set(parts.payloader, "pt", static_cast<guint>(payload_type), nullptr);
  set_caps(parts.rtp_caps, rtp_caps(codec, payload_type));
  if (!add_chain(GST_BIN(pipeline_.get()), chain)) {
    fail(protocol::MediaFailure::local_media, std::string("could not link the ") + codec.media + " sender");
    return false;
  }
  parts.payload_type = payload_type;
  slot = std::move(parts);
  if (!attach_branch(*slot, *std::prev(chain.end()), mline, codec.media)) return false;
  sync_all(chain);
  return true;
}

void Session::add_recvonly_video_transceiver() {
  CapsRef caps = rtp_caps(kVp8, kVp8.offered_payload_type);
  TransceiverRef transceiver;
  g_signal_emit_by_name(webrtc_, "add-transceiver", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps.get(),
                        static_cast<GstWebRTCRTPTransceiver**>(out(transceiver)));
}

void Session::on_pad_added(GstElement*, GstPad* pad, Session* self) {
  if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC || self->closed_) return;
  self->add_receive_branch(pad);
}

void Session::add_receive_branch(GstPad* pad) {
  CapsRef caps(gst_pad_get_current_caps(pad));
  if (!caps) caps.reset(gst_pad_query_caps(pad, nullptr));
  const GstStructure* s = gst_caps_get_structure(caps.get(), 0);
  auto field = [s](const char* name) {
    const char* value = s ? gst_structure_get_string(s, name) : nullptr;
    return std::string(value ? value : "");
  };
  std::string media = field("media");
  std::string encoding = field("encoding-name");
  if (media == kOpus.media && g_ascii_strcasecmp(encoding.c_str(), kOpus.encoding) == 0) {
    add_audio_receiver(pad);
  } else if (media == kVp8.media && g_ascii_strcasecmp(encoding.c_str(), kVp8.encoding) == 0) {
    if (screenshare_started(pad)) {
      add_video_receiver(pad, options_.screenshare_sink, screenshare_frames_decoded_);
    } else {
      add_video_receiver(pad, options_.video_sink, frames_decoded_);
    }
  } else {
    add_discarding_receiver(pad);
  }
}

// The WAV file records the first audio stream only; later ones (and every one without a file) go to the device or
// nowhere.
ElementRef Session::make_audio_sink() {
  std::lock_guard lock(mu_);
  if (const auto* wav = std::get_if<audio_sink::WavFile>(&options_.audio_sink); wav && !wav_sink_used_) {
    wav_sink_used_ = true;
    ElementRef sink = adopt_floating(gst_parse_bin_from_description(
        ("wavenc name=wavenc ! filesink sync=false async=false location=\"" + wav->path + "\"").c_str(), TRUE,
        nullptr));
    if (sink) wav_encoder_.reset(gst_bin_get_by_name(GST_BIN(sink.get()), "wavenc"));
    return sink;
  }
  if (std::holds_alternative<audio_sink::Device>(options_.audio_sink)) return make_element("autoaudiosink");
  ElementRef sink = make_element("fakesink");
  if (sink) set_unsynchronised(sink.get());
  return sink;
}

void Session::add_audio_receiver(GstPad* pad) {
  count_buffers(pad, recv_audio_);
  ElementRef queue = make_element("queue");
  ElementRef depay = make_element("rtpopusdepay");
  ElementRef decoder = make_element("opusdec");
  ElementRef convert = make_element("audioconvert");
  ElementRef resample = make_element("audioresample");
  ElementRef raw_caps = make_element("capsfilter");
  ElementRef level = make_element("level");
  ElementRef sink = make_audio_sink();
  if (!all_made(queue, depay, decoder, convert, resample, raw_caps, level, sink)) {
    fail(protocol::MediaFailure::internal, "could not create the audio receiver; see check_ready()");
    return;
  }
  set_caps(raw_caps.get(), CapsRef(gst_caps_from_string(kReceivedAudioFormat)));
  g_object_set(decoder.get(), "plc", TRUE, nullptr);
  g_object_set(level.get(), "interval", kLevelInterval, "post-messages", TRUE, nullptr);
  auto chain = {queue.get(),    depay.get(),    decoder.get(), convert.get(),
                resample.get(), raw_caps.get(), level.get(),   sink.get()};
  add_chain(GST_BIN(pipeline_.get()), chain);
  // Decoded samples, and the longest gap between two decoded buffers (a stall the receiver would hear).
  PadRef decoded(gst_element_get_static_pad(raw_caps.get(), "src"));
  gst_pad_add_probe(
      decoded.get(), GST_PAD_PROBE_TYPE_BUFFER,
      [](GstPad*, GstPadProbeInfo* info, gpointer data) {
        auto* session = static_cast<Session*>(data);
        GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
        session->samples_decoded_.fetch_add(gst_buffer_get_size(buffer) / kReceivedSampleBytes,
                                            std::memory_order_relaxed);
        std::int64_t now = steady_now_ns();
        std::int64_t last = session->last_audio_ns_.exchange(now);
        if (last != 0 && now - last > session->max_gap_ns_.load()) session->max_gap_ns_ = now - last;
        return GST_PAD_PROBE_OK;
      },
      this, nullptr);
  sync_all(chain);
  link_to_sink_of(pad, queue.get());
}

void Session::add_video_receiver(GstPad* pad, VideoSink to, std::atomic<std::uint64_t>& frames) {
  count_buffers(pad, recv_video_);
  ElementRef queue = make_element("queue");
  ElementRef depay = make_element("rtpvp8depay");
  ElementRef decoder = make_element("vp8dec");
  ElementRef convert = make_element("videoconvert");
  ElementRef sink = make_element(to == VideoSink::device ? "autovideosink" : "fakesink");
  if (!all_made(queue, depay, decoder, convert, sink)) {
    fail(protocol::MediaFailure::internal, "could not create the video receiver; see check_ready()");
    return;
  }
  if (to == VideoSink::null) set_unsynchronised(sink.get());
  g_object_set(depay.get(), "wait-for-keyframe", TRUE, "request-keyframe", TRUE, nullptr);
  auto chain = {queue.get(), depay.get(), decoder.get(), convert.get(), sink.get()};
  add_chain(GST_BIN(pipeline_.get()), chain);
  PadRef decoded(gst_element_get_static_pad(decoder.get(), "src"));
  count_buffers(decoded.get(), frames);
  sync_all(chain);
  link_to_sink_of(pad, queue.get());
}

// A stream we do not decode still needs a sink, or webrtcbin's pad would push into nothing and error.
void Session::add_discarding_receiver(GstPad* pad) {
  ElementRef sink = make_element("fakesink");
  if (!sink) return;
  set_unsynchronised(sink.get());
  gst_bin_add(GST_BIN(pipeline_.get()), sink.get());
  gst_element_sync_state_with_parent(sink.get());
  link_to_sink_of(pad, sink.get());
}

}  // namespace mxcall::media::gst
