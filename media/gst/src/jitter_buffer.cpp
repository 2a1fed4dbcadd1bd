// Adapting webrtcbin's jitter buffers (rtpjitterbuffer inside its rtpbin) to the network during a call. GStreamer
// 1.22's buffer has a fixed latency; this watches their statistics from the liveness watchdog and raises it.
#include "jitter_buffer.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <vector>

#include "gst_handles.hpp"
#include "session.hpp"

namespace mxcall::media::gst {

std::uint32_t next_jitter_buffer_ms(std::uint32_t current, std::uint32_t max, const JitterObservation& seen) {
  if (current >= max) return current;
  double wanted = current;
  if (seen.jitter_ms > 0) wanted = std::max(wanted, 4 * seen.jitter_ms + 20);
  if (seen.late_packets > 0) wanted = std::max(wanted, current + std::max(20.0, current / 2.0));
  auto rounded = static_cast<std::uint32_t>(std::ceil(wanted / 10) * 10);
  return std::clamp(rounded, current, max);
}

// The session's jitter buffers, one per received stream, each inside rtpbin.
std::vector<ElementRef> Session::jitter_buffers() const {
  std::vector<ElementRef> found;
  ElementRef rtpbin{gst_bin_get_by_name(GST_BIN(webrtc_), "rtpbin")};
  if (!rtpbin) return found;
  std::unique_ptr<GstIterator, decltype(&gst_iterator_free)> it(gst_bin_iterate_recurse(GST_BIN(rtpbin.get())),
                                                                &gst_iterator_free);
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next(it.get(), &item) == GST_ITERATOR_OK) {
    auto* element = GST_ELEMENT(g_value_get_object(&item));
    GstElementFactory* factory = gst_element_get_factory(element);  // borrowed
    if (factory && g_str_equal(GST_OBJECT_NAME(factory), "rtpjitterbuffer")) {
      found.emplace_back(GST_ELEMENT(gst_object_ref(element)));
    }
    g_value_reset(&item);
  }
  g_value_unset(&item);
  return found;
}

std::uint32_t Session::jitter_buffer_latency_ms() const {
  std::optional<std::uint32_t> smallest;
  for (const ElementRef& buffer : jitter_buffers()) {
    guint latency = 0;
    g_object_get(buffer.get(), "latency", &latency, nullptr);
    smallest = std::min(smallest.value_or(latency), static_cast<std::uint32_t>(latency));
  }
  return smallest.value_or(jitter_buffer_ms_);
}

// rtpbin gives a new stream's buffer the latency it was made with; a stream that starts after the buffer grew (video
// added by renegotiation, a new SSRC) gets the grown value here, before its first packet is queued. A streaming
// thread, inside rtpbin's session lock: setting the buffer's own property takes only that buffer's lock.
void Session::on_new_jitterbuffer(GstElement*, GstElement* jitterbuffer, guint, guint, Session* self) {
  g_object_set(jitterbuffer, "latency", static_cast<guint>(self->jitter_buffer_ms_.load()), nullptr);
}

// Every tick while connected: grow the target when the buffers' statistics ask for it, then give each buffer the
// target. Giving it on every tick, not only on growth, also mends a buffer whose new-jitterbuffer handler read the
// target just before it grew.
void Session::adapt_jitter_buffer() {
  std::vector<ElementRef> buffers = jitter_buffers();
  if (options_.jitter_buffer_max_ms > jitter_buffer_ms_) grow_jitter_buffer(buffers);
  // Each buffer is set directly, never through webrtcbin's or rtpbin's `latency`: rtpbin hands that on under its own
  // lock and then each RTP session's. A streaming thread that meets a new SSRC holds the session's lock while rtpbin
  // calls into webrtcbin, which waits for webrtcbin's lock; webrtcbin's thread, inside get-stats, holds that lock and
  // waits for rtpbin's. With us in the middle the three wait on each other for good: a video call hung that way
  // under ASan about one run in 40.
  auto target = static_cast<guint>(jitter_buffer_ms_.load());
  bool changed = false;
  for (const ElementRef& buffer : buffers) {
    guint latency = 0;
    g_object_get(buffer.get(), "latency", &latency, nullptr);
    if (latency == target) continue;
    g_object_set(buffer.get(), "latency", target, nullptr);
    changed = true;
  }
  // Sinks that play in sync (a sound card) must hear of the new pipeline latency.
  if (changed) gst_bin_recalculate_latency(GST_BIN(pipeline_.get()));
}

void Session::grow_jitter_buffer(const std::vector<ElementRef>& buffers) {
  std::uint64_t late_total = 0;
  double jitter_ms = 0;
  for (const ElementRef& buffer : buffers) {
    if (auto stats = object_property<StructureRef>(buffer.get(), "stats")) {
      guint64 late = 0, jitter_ns = 0;
      gst_structure_get_uint64(stats.get(), "num-late", &late);
      gst_structure_get_uint64(stats.get(), "avg-jitter", &jitter_ns);
      late_total += late;
      jitter_ms = std::max(jitter_ms, static_cast<double>(jitter_ns) / 1e6);
    }
  }
  // A stream that went away takes its count with it; never read that as a negative number of late packets.
  JitterObservation seen{late_total > late_packets_seen_ ? late_total - late_packets_seen_ : 0, jitter_ms};
  late_packets_seen_ = late_total;
  std::uint32_t next = next_jitter_buffer_ms(jitter_buffer_ms_, options_.jitter_buffer_max_ms, seen);
  if (next == jitter_buffer_ms_) return;
  g_message("mxcall: call %s: jitter buffer %u -> %u ms (jitter %.1f ms, %llu late packets)",
            config_.call.call_id.c_str(), jitter_buffer_ms_.load(), next, jitter_ms,
            static_cast<unsigned long long>(seen.late_packets));
  jitter_buffer_ms_ = next;
}

}  // namespace mxcall::media::gst
