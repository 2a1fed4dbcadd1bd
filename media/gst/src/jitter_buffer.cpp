// Adapting webrtcbin's jitter buffers (rtpjitterbuffer inside its rtpbin) to the network during a call. GStreamer
// 1.22's buffer has a fixed latency; this watches its statistics from the liveness watchdog and raises it.
#include "jitter_buffer.hpp"

#include <algorithm>
#include <cmath>
#include <memory>

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

void Session::adapt_jitter_buffer() {
  if (options_.jitter_buffer_max_ms <= jitter_buffer_ms_) return;
  ElementRef rtpbin{gst_bin_get_by_name(GST_BIN(webrtc_), "rtpbin")};
  if (!rtpbin) return;
  std::uint64_t late_total = 0;
  double jitter_ms = 0;
  std::unique_ptr<GstIterator, decltype(&gst_iterator_free)> it(gst_bin_iterate_recurse(GST_BIN(rtpbin.get())),
                                                                &gst_iterator_free);
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next(it.get(), &item) == GST_ITERATOR_OK) {
    auto* element = GST_ELEMENT(g_value_get_object(&item));
    GstElementFactory* factory = gst_element_get_factory(element);  // borrowed
    if (factory && g_str_equal(GST_OBJECT_NAME(factory), "rtpjitterbuffer")) {
      if (auto stats = object_property<StructureRef>(element, "stats")) {
        guint64 late = 0, jitter_ns = 0;
        gst_structure_get_uint64(stats.get(), "num-late", &late);
        gst_structure_get_uint64(stats.get(), "avg-jitter", &jitter_ns);
        late_total += late;
        jitter_ms = std::max(jitter_ms, static_cast<double>(jitter_ns) / 1e6);
      }
    }
    g_value_reset(&item);
  }
  g_value_unset(&item);

  // A stream that went away takes its count with it; never read that as a negative number of late packets.
  JitterObservation seen{late_total > late_packets_seen_ ? late_total - late_packets_seen_ : 0, jitter_ms};
  late_packets_seen_ = late_total;
  std::uint32_t next = next_jitter_buffer_ms(jitter_buffer_ms_, options_.jitter_buffer_max_ms, seen);
  if (next == jitter_buffer_ms_) return;
  g_message("mxcall: call %s: jitter buffer %u -> %u ms (jitter %.1f ms, %llu late packets)",
            config_.call.call_id.c_str(), jitter_buffer_ms_.load(), next, jitter_ms,
            static_cast<unsigned long long>(seen.late_packets));
  jitter_buffer_ms_ = next;
  // webrtcbin hands the value to rtpbin, which sets it on every jitter buffer; then sinks that play in sync (a sound
  // card) must hear of the new pipeline latency.
  g_object_set(webrtc_, "latency", next, nullptr);
  gst_bin_recalculate_latency(GST_BIN(pipeline_.get()));
}

}  // namespace mxcall::media::gst
