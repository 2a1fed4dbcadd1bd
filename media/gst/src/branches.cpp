// Building the pipeline pieces: send branches (one per kind, created when first needed so a voice call never opens
// the camera) and receive branches (one per webrtcbin src pad).
#include <gst/video/video.h>

#include <chrono>
#include <iterator>
#include <string>

#include "session.hpp"

namespace mxcall::media::gst {
namespace {

GstElement* make(const char* factory, const char* name = nullptr) { return gst_element_factory_make(factory, name); }

template <typename... E>
bool all_made(E*... elements) {
  return ((elements != nullptr) && ...);
}

// Adds the elements to the bin and links them in order.
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

GstCaps* rtp_caps(const char* media, const char* encoding, int clock_rate, int pt) {
  GstCaps* caps =
      gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING, media, "encoding-name", G_TYPE_STRING, encoding,
                          "payload", G_TYPE_INT, pt, "clock-rate", G_TYPE_INT, clock_rate, nullptr);
  // Browsers only recognise Opus as "opus/48000/2" (RFC 7587), whatever the channel count actually sent.
  if (g_str_equal(encoding, "OPUS")) gst_caps_set_simple(caps, "encoding-params", G_TYPE_STRING, "2", nullptr);
  return caps;
}

GstWebRTCRTPTransceiver* transceiver_for_mline(GstElement* webrtc, std::uint32_t mline) {
  GArray* all = nullptr;
  g_signal_emit_by_name(webrtc, "get-transceivers", &all);
  GstWebRTCRTPTransceiver* found = nullptr;
  for (guint i = 0; all && i < all->len; ++i) {
    auto* t = g_array_index(all, GstWebRTCRTPTransceiver*, i);
    guint index = G_MAXUINT;
    g_object_get(t, "mlineindex", &index, nullptr);
    if (index == mline) found = GST_WEBRTC_RTP_TRANSCEIVER(gst_object_ref(t));
  }
  if (all) g_array_unref(all);
  return found;
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

bool Session::attach_branch(SendBranch& branch, GstElement* last, std::optional<std::uint32_t> mline,
                            const char* kind) {
  // Answering: webrtcbin already made a receive-only transceiver for the peer's m-line. Requesting "sink_<mline>"
  // binds our pad to exactly that transceiver once it may send; an unnamed pad would add a new m-line instead.
  std::string pad_name = "sink_%u";
  if (mline) {
    if (GstWebRTCRTPTransceiver* t = transceiver_for_mline(webrtc_, *mline)) {
      g_object_set(t, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV, nullptr);
      gst_object_unref(t);
    }
    pad_name = "sink_" + std::to_string(*mline);
  }
  GstPad* pad = gst_element_request_pad_simple(webrtc_, pad_name.c_str());
  if (!pad) {
    fail(protocol::MediaFailure::internal, std::string("webrtcbin refused a ") + kind + " sink pad (" + pad_name + ")");
    return false;
  }
  GstPad* src = gst_element_get_static_pad(last, "src");
  bool linked = gst_pad_link(src, pad) == GST_PAD_LINK_OK;
  gst_object_unref(src);
  if (!linked) {
    gst_element_release_request_pad(webrtc_, pad);
    gst_object_unref(pad);
    fail(protocol::MediaFailure::internal, std::string("could not link the ") + kind + " sender to webrtcbin");
    return false;
  }
  branch.webrtc_pad = pad;
  waiting_for_caps_.push_back(pad);
  // Count what we hand to webrtcbin: proof for tests that muting and holding really stop the sender.
  auto* counter = (std::string(kind) == "audio") ? &sent_audio_ : &sent_video_;
  gst_pad_add_probe(
      pad, GST_PAD_PROBE_TYPE_BUFFER,
      [](GstPad*, GstPadProbeInfo*, gpointer data) {
        static_cast<std::atomic<std::uint64_t>*>(data)->fetch_add(1, std::memory_order_relaxed);
        return GST_PAD_PROBE_OK;
      },
      counter, nullptr);
  return true;
}

void Session::set_payload_type(SendBranch& branch, const char* media, const char* encoding, int clock_rate, int pt) {
  if (branch.payload_type == pt) return;
  branch.payload_type = pt;
  g_object_set(branch.payloader, "pt", static_cast<guint>(pt), nullptr);
  GstCaps* caps = rtp_caps(media, encoding, clock_rate, pt);
  g_object_set(branch.rtp_caps, "caps", caps, nullptr);
  gst_caps_unref(caps);
}

bool Session::build_audio_branch(int payload_type, std::optional<std::uint32_t> mline) {
  GstElement* source = nullptr;
  if (const auto* tone = std::get_if<audio_source::Tone>(&options_.audio_source)) {
    source = make("audiotestsrc", "asrc");
    if (source) {
      g_object_set(source, "is-live", TRUE, "freq", tone->frequency_hz, "volume", tone->volume, nullptr);
    }
  } else if (const auto* wav = std::get_if<audio_source::WavFile>(&options_.audio_source)) {
    source = gst_parse_bin_from_description(
        // A file is not live: identity sync=true paces it to real time, or it would be sent as fast as it reads.
        ("filesrc location=\"" + wav->path + "\" ! wavparse ! audioconvert ! identity sync=true").c_str(), TRUE,
        nullptr);
    if (source) gst_element_set_name(source, "asrc");
  } else {
    source = make("autoaudiosrc", "asrc");
  }
  GstElement* convert = make("audioconvert");
  GstElement* resample = make("audioresample");
  GstElement* raw_caps = make("capsfilter");
  GstElement* valve = make("valve");
  GstElement* encoder = make("opusenc");
  GstElement* payloader = make("rtpopuspay");
  GstElement* caps = make("capsfilter");
  GstElement* dtmf_mux = make("rtpdtmfmux");  // DTMF (dtmf.cpp) joins the audio stream here
  if (!all_made(source, convert, resample, raw_caps, valve, encoder, payloader, caps, dtmf_mux)) {
    fail(protocol::MediaFailure::local_media,
         "could not create the audio sender (is gstreamer1.0-plugins-base "
         "installed?); see check_ready()");
    return false;
  }
  GstCaps* raw = gst_caps_from_string("audio/x-raw,rate=48000,channels=1");
  g_object_set(raw_caps, "caps", raw, nullptr);
  gst_caps_unref(raw);
  g_object_set(encoder, "complexity", options_.opus_complexity, nullptr);
  SendBranch parts{valve, encoder, payloader, caps};
  return finish_send_branch(audio_, {source, convert, resample, raw_caps, valve, encoder, payloader, caps, dtmf_mux},
                            parts, {"audio", "OPUS", 48000, payload_type}, mline) &&
         add_dtmf_source(dtmf_mux);
}

bool Session::build_video_branch(int payload_type, std::optional<std::uint32_t> mline) {
  GstElement* source = nullptr;
  int width = 320, height = 240, fps = 15;
  if (const auto* pattern = std::get_if<video_source::TestPattern>(&options_.video_source)) {
    source = make("videotestsrc", "vsrc");
    if (source) g_object_set(source, "is-live", TRUE, "pattern", 18 /* ball: moving, so VP8 has work */, nullptr);
    width = pattern->width, height = pattern->height, fps = pattern->fps;
  } else if (const auto* cam = std::get_if<video_source::V4l2>(&options_.video_source)) {
    source = gst_parse_bin_from_description(
        ("v4l2src device=\"" + cam->device + "\" ! videoconvert ! videoscale ! videorate").c_str(), TRUE, nullptr);
    if (source) gst_element_set_name(source, "vsrc");
    width = cam->width, height = cam->height, fps = cam->fps;
  } else {
    return false;
  }
  GstElement* raw_caps = make("capsfilter");
  GstElement* convert = make("videoconvert");
  GstElement* valve = make("valve");
  GstElement* queue = make("queue");
  GstElement* encoder = make("vp8enc");
  GstElement* payloader = make("rtpvp8pay");
  GstElement* caps = make("capsfilter");
  if (!all_made(source, raw_caps, convert, valve, queue, encoder, payloader, caps)) {
    fail(protocol::MediaFailure::local_media, "could not create the video sender; see check_ready()");
    return false;
  }
  GstCaps* raw = gst_caps_new_simple("video/x-raw", "width", G_TYPE_INT, width, "height", G_TYPE_INT, height,
                                     "framerate", GST_TYPE_FRACTION, fps, 1, nullptr);
  g_object_set(raw_caps, "caps", raw, nullptr);
  gst_caps_unref(raw);
  g_object_set(queue, "max-size-buffers", 2u, "leaky", 2 /* downstream: drop old frames, keep latency low */, nullptr);
  // Nheko's settings, which browsers decode; a keyframe every 2 s bounds the damage of a lost one.
  g_object_set(encoder, "deadline", static_cast<gint64>(1), "error-resilient", 1, "keyframe-max-dist", fps * 2,
               "target-bitrate", 500000, "cpu-used", 4, nullptr);
  SendBranch parts{valve, encoder, payloader, caps};
  return finish_send_branch(video_, {source, raw_caps, convert, valve, queue, encoder, payloader, caps}, parts,
                            {"video", "VP8", 90000, payload_type}, mline);
}

// The tail both sender branches share: the valve, the RTP payload type and caps, the chain linked in order, and the
// branch recorded and attached to webrtcbin.
bool Session::finish_send_branch(std::optional<SendBranch>& slot, std::initializer_list<GstElement*> chain,
                                 const SendBranch& parts, const RtpFormat& format, std::optional<std::uint32_t> mline) {
  // forward-sticky-events: a valve that starts closed (joined while muted) must still let caps through.
  g_object_set(parts.valve, "drop-mode", 1, "drop", TRUE, nullptr);
  g_object_set(parts.payloader, "pt", static_cast<guint>(format.payload_type), nullptr);
  GstCaps* rtp = rtp_caps(format.media, format.encoding, format.clock_rate, format.payload_type);
  g_object_set(parts.rtp_caps, "caps", rtp, nullptr);
  gst_caps_unref(rtp);
  if (!add_chain(GST_BIN(pipeline_), chain)) {
    fail(protocol::MediaFailure::local_media, std::string("could not link the ") + format.media + " sender");
    return false;
  }
  slot = parts;
  slot->payload_type = format.payload_type;
  if (!attach_branch(*slot, *std::prev(chain.end()), mline, format.media)) return false;
  sync_all(chain);
  return true;
}

void Session::add_recvonly_video_transceiver() {
  GstCaps* caps = rtp_caps("video", "VP8", 90000, 96);
  GstWebRTCRTPTransceiver* t = nullptr;
  g_signal_emit_by_name(webrtc_, "add-transceiver", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps, &t);
  gst_caps_unref(caps);
  if (t) gst_object_unref(t);
}

void Session::on_pad_added(GstElement*, GstPad* pad, Session* self) {
  if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC || self->closed_) return;
  self->add_receive_branch(pad);
}

void Session::add_receive_branch(GstPad* pad) {
  GstCaps* caps = gst_pad_get_current_caps(pad);
  if (!caps) caps = gst_pad_query_caps(pad, nullptr);
  const GstStructure* s = gst_caps_get_structure(caps, 0);
  std::string media = s && gst_structure_get_string(s, "media") ? gst_structure_get_string(s, "media") : "";
  std::string encoding =
      s && gst_structure_get_string(s, "encoding-name") ? gst_structure_get_string(s, "encoding-name") : "";
  gst_caps_unref(caps);
  GstBin* bin = GST_BIN(pipeline_);

  auto link_pad = [&](GstElement* first) {
    GstPad* sink = gst_element_get_static_pad(first, "sink");
    gst_pad_link(pad, sink);
    gst_object_unref(sink);
  };
  auto count_into = [](GstPad* p, std::atomic<std::uint64_t>* counter) {
    gst_pad_add_probe(
        p, GST_PAD_PROBE_TYPE_BUFFER,
        [](GstPad*, GstPadProbeInfo*, gpointer data) {
          static_cast<std::atomic<std::uint64_t>*>(data)->fetch_add(1, std::memory_order_relaxed);
          return GST_PAD_PROBE_OK;
        },
        counter, nullptr);
  };

  if (media == "audio" && g_ascii_strcasecmp(encoding.c_str(), "OPUS") == 0) {
    count_into(pad, &recv_audio_);
    GstElement* queue = make("queue");
    GstElement* depay = make("rtpopusdepay");
    GstElement* decoder = make("opusdec");
    GstElement* convert = make("audioconvert");
    GstElement* resample = make("audioresample");
    GstElement* raw_caps = make("capsfilter");
    GstElement* level = make("level");
    GstElement* sink_bin = nullptr;
    {
      std::lock_guard lock(mu_);
      if (const auto* wav = std::get_if<audio_sink::WavFile>(&options_.audio_sink); wav && !wav_sink_used_) {
        wav_sink_used_ = true;
        sink_bin = gst_parse_bin_from_description(
            ("wavenc name=wavenc ! filesink sync=false async=false location=\"" + wav->path + "\"").c_str(), TRUE,
            nullptr);
        if (sink_bin) wav_encoder_ = gst_bin_get_by_name(GST_BIN(sink_bin), "wavenc");
      } else if (std::holds_alternative<audio_sink::Device>(options_.audio_sink)) {
        sink_bin = make("autoaudiosink");
      } else {
        sink_bin = make("fakesink");
        if (sink_bin) g_object_set(sink_bin, "sync", FALSE, "async", FALSE, nullptr);
      }
    }
    if (!all_made(queue, depay, decoder, convert, resample, raw_caps, level, sink_bin)) {
      fail(protocol::MediaFailure::internal, "could not create the audio receiver; see check_ready()");
      return;
    }
    GstCaps* raw = gst_caps_from_string("audio/x-raw,format=S16LE,rate=48000,channels=1");
    g_object_set(raw_caps, "caps", raw, nullptr);
    gst_caps_unref(raw);
    g_object_set(decoder, "plc", TRUE, nullptr);
    g_object_set(level, "interval", static_cast<guint64>(200 * GST_MSECOND), "post-messages", TRUE, nullptr);
    auto chain = {queue, depay, decoder, convert, resample, raw_caps, level, sink_bin};
    add_chain(bin, chain);
    GstPad* decoded = gst_element_get_static_pad(raw_caps, "src");
    gst_pad_add_probe(
        decoded, GST_PAD_PROBE_TYPE_BUFFER,
        [](GstPad*, GstPadProbeInfo* info, gpointer data) {
          auto* session = static_cast<Session*>(data);
          GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
          session->samples_decoded_.fetch_add(gst_buffer_get_size(buffer) / 2, std::memory_order_relaxed);
          std::int64_t now = now_ns();
          std::int64_t last = session->last_audio_ns_.exchange(now);
          if (last != 0 && now - last > session->max_gap_ns_.load()) session->max_gap_ns_ = now - last;
          return GST_PAD_PROBE_OK;
        },
        this, nullptr);
    gst_object_unref(decoded);
    sync_all(chain);
    link_pad(queue);
  } else if (media == "video" && g_ascii_strcasecmp(encoding.c_str(), "VP8") == 0) {
    count_into(pad, &recv_video_);
    GstElement* queue = make("queue");
    GstElement* depay = make("rtpvp8depay");
    GstElement* decoder = make("vp8dec");
    GstElement* convert = make("videoconvert");
    GstElement* sink = make(options_.video_sink == VideoSink::device ? "autovideosink" : "fakesink");
    if (!all_made(queue, depay, decoder, convert, sink)) {
      fail(protocol::MediaFailure::internal, "could not create the video receiver; see check_ready()");
      return;
    }
    if (options_.video_sink == VideoSink::null) g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
    g_object_set(depay, "wait-for-keyframe", TRUE, "request-keyframe", TRUE, nullptr);
    auto chain = {queue, depay, decoder, convert, sink};
    add_chain(bin, chain);
    GstPad* decoded = gst_element_get_static_pad(decoder, "src");
    count_into(decoded, &frames_decoded_);
    gst_object_unref(decoded);
    sync_all(chain);
    link_pad(queue);
  } else {
    GstElement* sink = make("fakesink");
    g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
    gst_bin_add(bin, sink);
    gst_element_sync_state_with_parent(sink);
    link_pad(sink);
  }
}

}  // namespace mxcall::media::gst
