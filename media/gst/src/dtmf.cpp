// DTMF in band (RFC 4733), as RTCDTMFSender does it: telephone-event is negotiated on the audio m-line, digits go out
// as telephone-event packets in the audio stream (rtpdtmfsrc through rtpdtmfmux, which holds the Opus packets back
// meanwhile), and the peer's telephone-event packets are taken out of the received stream before rtpbin, decoded
// into digits with their durations and reported.
#include <chrono>
#include <span>

#include "session.hpp"

namespace mxcall::media::gst {
namespace {

// What RTCDTMFSender offers and what most peers expect: 8000 Hz (docs/media.md).
constexpr TelephoneEvent kOfferedTelephoneEvent{101, 8000};
// rtpdtmfmux joins streams of one clock only, so rtpdtmfsrc runs on Opus's; the duration field is rescaled to the
// negotiated rate on the way out (the RTP timestamp stays on the stream's clock, where the receiver orders it).
constexpr std::uint32_t kAudioClockRate = 48000;
// rtpdtmfsrc sends each tone for at least this long (its MIN_PULSE_DURATION) and leaves at least 100 ms between them.
constexpr std::uint32_t kPauseMs = 2000;  // "," in a digit string (W3C insertDTMF)
constexpr int kVolume = 10;               // dBm0 below full scale, what libwebrtc sends

void send_dtmf_event(GstElement* source, int event_code, bool start) {
  GstStructure* s = gst_structure_new("dtmf-event", "type", G_TYPE_INT, 1, "number", G_TYPE_INT, event_code, "volume",
                                      G_TYPE_INT, kVolume, "start", G_TYPE_BOOLEAN, start ? TRUE : FALSE, nullptr);
  // Through the pad: GstBaseSrc hands upstream events to rtpdtmfsrc's handler only from there.
  PadRef pad(gst_element_get_static_pad(source, "src"));
  gst_pad_send_event(pad.get(), gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM, s));
}

// The RTP header's fields we need (RFC 3550 section 5.1), or nullopt when the buffer is not an RTP packet.
struct RtpView {
  int payload_type;
  std::uint32_t timestamp, ssrc;
  std::span<const std::uint8_t> payload;
};

std::optional<RtpView> read_rtp(std::span<const std::uint8_t> p) {
  if (p.size() < 12 || (p[0] >> 6) != 2) return std::nullopt;
  std::size_t header = 12 + 4 * static_cast<std::size_t>(p[0] & 0x0f);
  if (p[0] & 0x10) {  // header extension
    if (p.size() < header + 4) return std::nullopt;
    header += 4 + 4 * (static_cast<std::size_t>(p[header + 2]) << 8 | p[header + 3]);
  }
  std::size_t padding = (p[0] & 0x20) && !p.empty() ? p.back() : 0;
  if (p.size() < header + padding) return std::nullopt;
  auto be32 = [&](std::size_t at) {
    return static_cast<std::uint32_t>(p[at]) << 24 | static_cast<std::uint32_t>(p[at + 1]) << 16 |
           static_cast<std::uint32_t>(p[at + 2]) << 8 | p[at + 3];
  };
  return RtpView{p[1] & 0x7f, be32(4), be32(8), p.subspan(header, p.size() - header - padding)};
}

}  // namespace

bool Session::add_dtmf_source(GstElement* mux) {
  ElementRef source = make_element("rtpdtmfsrc", "dtmfsrc");
  if (!source) {
    fail(protocol::MediaFailure::local_media, "rtpdtmfsrc is missing: install gstreamer1.0-plugins-good");
    return false;
  }
  g_object_set(source.get(), "pt", static_cast<guint>(kOfferedTelephoneEvent.payload_type), "clock-rate",
               kAudioClockRate, nullptr);
  gst_bin_add(GST_BIN(pipeline_.get()), source.get());
  PadRef events_out(gst_element_get_static_pad(source.get(), "src"));
  gst_pad_add_probe(events_out.get(), GST_PAD_PROBE_TYPE_BUFFER,
                    reinterpret_cast<GstPadProbeCallback>(&Session::on_dtmf_packet_out), this, nullptr);
  PadRef priority(gst_element_request_pad_simple(mux, "priority_sink_%u"));  // the mux keeps its own reference
  bool linked = priority && gst_pad_link(events_out.get(), priority.get()) == GST_PAD_LINK_OK;
  if (!linked) {
    fail(protocol::MediaFailure::internal, "could not link rtpdtmfsrc to rtpdtmfmux");
    return false;
  }
  // rtpdtmfmux forwards each input's caps as that input becomes active. webrtcbin must see Opus caps only: it builds
  // its next offer from the caps it saw last (telephone-event alone would replace Opus in the m-line).
  PadRef out(gst_element_get_static_pad(mux, "src"));
  gst_pad_add_probe(
      out.get(), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      [](GstPad*, GstPadProbeInfo* info, gpointer) {
        GstEvent* event = GST_PAD_PROBE_INFO_EVENT(info);
        if (GST_EVENT_TYPE(event) != GST_EVENT_CAPS) return GST_PAD_PROBE_OK;
        GstCaps* caps = nullptr;
        gst_event_parse_caps(event, &caps);
        const GstStructure* s = caps ? gst_caps_get_structure(caps, 0) : nullptr;
        const char* encoding = s ? gst_structure_get_string(s, "encoding-name") : nullptr;
        bool telephone_event = encoding && g_ascii_strcasecmp(encoding, "TELEPHONE-EVENT") == 0;
        return telephone_event ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
      },
      nullptr, nullptr);
  gst_element_sync_state_with_parent(source.get());
  dtmf_.source = source.get();  // the pipeline holds it from here
  return true;
}

std::string Session::with_dtmf_negotiated(const std::string& sdp, bool offer) {
  // webrtcbin 1.22 builds its descriptions from the sender's caps, which name Opus alone; telephone-event is added
  // here. Answering, we accept the offer's telephone-event (8000 Hz preferred), never one the offer lacks.
  std::optional<TelephoneEvent> wanted = offer ? std::optional(kOfferedTelephoneEvent) : dtmf_.remote_offered;
  if (!wanted || !audio_) return sdp;
  auto with = with_telephone_event(sdp, *wanted);
  return with ? *with : sdp;
}

void Session::note_telephone_events(const std::string& sdp, bool remote, const std::string& type) {
  auto events = telephone_events(sdp);
  for (const auto& te : events) dtmf_.receive_rates[static_cast<std::size_t>(te.payload_type)] = te.clock_rate;
  if (!remote) return;
  if (type == "offer") dtmf_.remote_offered = preferred_telephone_event(events);
  // We send on the payload type the peer's description names (RFC 3264 section 5.1); none: the peer takes no DTMF.
  auto chosen = preferred_telephone_event(events);
  dtmf_.send_payload_type = chosen ? chosen->payload_type : -1;
  if (chosen) dtmf_.send_clock_rate = chosen->clock_rate;
}

void Session::send_dtmf(const protocol::media_op::SendDtmf& op) {
  if (!pipeline_ || closed_ || failed_) return;
  if (!dtmf_.source) {
    g_message("mxcall: call %s: DTMF not sent: this call sends no audio", config_.call.call_id.c_str());
    return;
  }
  if (dtmf_.send_payload_type < 0) {
    g_message("mxcall: call %s: DTMF not sent: the peer did not accept telephone-event", config_.call.call_id.c_str());
    return;
  }
  std::lock_guard lock(dtmf_.mu);
  dtmf_.queue.push_back(op);
  if (!dtmf_.pacer.joinable()) dtmf_.pacer = std::thread([this] { pace_dtmf(); });
  dtmf_.cv.notify_all();
}

void Session::pace_dtmf() {
  std::unique_lock lock(dtmf_.mu);
  // Waits `ms` unless the session closes; false when it did.
  auto wait = [&](std::uint32_t ms) {
    return !dtmf_.cv.wait_for(lock, std::chrono::milliseconds(ms), [&] { return dtmf_.stop; });
  };
  for (;;) {
    dtmf_.cv.wait(lock, [&] { return dtmf_.stop || !dtmf_.queue.empty(); });
    if (dtmf_.stop) return;
    auto request = std::move(dtmf_.queue.front());
    dtmf_.queue.pop_front();
    for (char c : request.digits) {
      if (c == ',') {
        if (!wait(kPauseMs)) return;
        continue;
      }
      auto code = dtmf_event_code(c);
      if (!code) continue;  // the call engine checked the digits
      // The payload type may have changed with a renegotiation; rtpdtmfsrc reads it when a tone starts.
      g_object_set(dtmf_.source, "pt", static_cast<guint>(dtmf_.send_payload_type.load()), nullptr);
      send_dtmf_event(dtmf_.source, *code, true);
      bool open = wait(request.duration_ms);
      send_dtmf_event(dtmf_.source, *code, false);
      if (!open || !wait(request.gap_ms)) return;
    }
  }
}

void Session::stop_dtmf() {
  {
    std::lock_guard lock(dtmf_.mu);
    dtmf_.stop = true;
  }
  dtmf_.cv.notify_all();
  if (dtmf_.pacer.joinable()) dtmf_.pacer.join();
}

GstPadProbeReturn Session::on_dtmf_packet_out(GstPad*, GstPadProbeInfo* info, Session* self) {
  std::uint32_t rate = self->dtmf_.send_clock_rate;
  if (rate == kAudioClockRate) return GST_PAD_PROBE_OK;
  GstBuffer* buffer = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
  GST_PAD_PROBE_INFO_DATA(info) = buffer;
  GstMapInfo map;
  if (!gst_buffer_map(buffer, &map, GST_MAP_READWRITE)) return GST_PAD_PROBE_OK;
  if (auto rtp = read_rtp({map.data, map.size}); rtp && rtp->payload.size() >= 4) {
    auto* duration = map.data + (rtp->payload.data() - map.data) + 2;
    std::uint64_t units = (static_cast<std::uint32_t>(duration[0]) << 8 | duration[1]) * std::uint64_t{rate};
    auto scaled = static_cast<std::uint16_t>(units / kAudioClockRate);
    duration[0] = static_cast<std::uint8_t>(scaled >> 8);
    duration[1] = static_cast<std::uint8_t>(scaled & 0xff);
  }
  gst_buffer_unmap(buffer, &map);
  return GST_PAD_PROBE_OK;
}

void Session::install_dtmf_receiver(GstElement* rtpbin) {
  g_signal_connect(rtpbin, "pad-added", G_CALLBACK(&Session::on_rtpbin_pad_added), this);
}

void Session::on_rtpbin_pad_added(GstElement*, GstPad* pad, Session* self) {
  // Decrypted RTP enters rtpbin here, before its payload-type demuxer: the peer's telephone-events are taken out so
  // that webrtcbin never sees a second payload type on the audio stream (it would re-target the audio pad).
  GCharRef name(gst_pad_get_name(pad));
  bool rtp_in = g_str_has_prefix(name.get(), "recv_rtp_sink_");
  if (!rtp_in) return;
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, reinterpret_cast<GstPadProbeCallback>(&Session::on_received_rtp),
                    self, nullptr);
}

GstPadProbeReturn Session::on_received_rtp(GstPad*, GstPadProbeInfo* info, Session* self) {
  GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  GstMapInfo map;
  if (!buffer || !gst_buffer_map(buffer, &map, GST_MAP_READ)) return GST_PAD_PROBE_OK;
  auto rtp = read_rtp({map.data, map.size});
  std::uint32_t rate = rtp ? self->dtmf_.receive_rates[static_cast<std::size_t>(rtp->payload_type)].load() : 0;
  if (rate == 0) {
    gst_buffer_unmap(buffer, &map);
    return GST_PAD_PROBE_OK;
  }
  std::vector<DtmfTone> tones;
  {
    std::lock_guard lock(self->dtmf_.receiver_mu);
    tones = self->dtmf_.receiver.on_packet(rtp->ssrc, rtp->timestamp, rtp->payload, rate);
  }
  gst_buffer_unmap(buffer, &map);
  for (const auto& tone : tones) self->emit(protocol::media_event::DtmfReceived{tone.digit, tone.duration_ms});
  return GST_PAD_PROBE_DROP;
}

}  // namespace mxcall::media::gst
