// A vanished peer must become "disconnected" so that the call engine's ICE-disconnect timer can end the call; the
// libnice of Debian 12 (0.1.21, as webrtcbin 1.22 drives it) never notices on its own.
#include <algorithm>
#include <chrono>

#include "session.hpp"

namespace mxcall::media::gst {
namespace {
constexpr auto kWatchdogPeriod = std::chrono::milliseconds(250);
}  // namespace

void Session::on_ssrc_active(GstElement*, guint, guint, Session* self) { self->last_rtcp_ns_ = steady_now_ns(); }

// The watchdog thread also releases a first description whose gathering wait is over (early_candidates.cpp): it
// wakes at that deadline when it comes before the next tick.
void Session::start_watchdog() {
  watchdog_ = std::thread([this] {
    using Clock = std::chrono::steady_clock;
    std::unique_lock lock(watchdog_mu_);
    Clock::time_point next_tick = Clock::now() + kWatchdogPeriod;
    while (!watchdog_stop_) {
      Clock::time_point wake_at = next_tick;
      if (held_description_deadline_) wake_at = std::min(wake_at, *held_description_deadline_);
      watchdog_cv_.wait_until(lock, wake_at);  // also woken to stop, or for a new deadline
      if (watchdog_stop_) break;
      Clock::time_point now = Clock::now();
      bool release = held_description_deadline_ && now >= *held_description_deadline_;
      if (release) held_description_deadline_.reset();
      bool tick = now >= next_tick;
      if (tick) next_tick = now + kWatchdogPeriod;
      lock.unlock();
      if (release) release_held_description();
      if (tick) watchdog_tick();
      lock.lock();
    }
  });
}

void Session::stop_watchdog() {
  {
    std::lock_guard lock(watchdog_mu_);
    watchdog_stop_ = true;
  }
  watchdog_cv_.notify_all();
  if (watchdog_.joinable()) watchdog_.join();
}

void Session::watchdog_tick() {
  if (!rtcp_interval_set_) {
    // RTCP at least every second (rtpsession's default minimum is 5 s), so silence means gone, not held.
    ElementRef rtpbin(gst_bin_get_by_name(GST_BIN(webrtc_), "rtpbin"));
    GObjectRef<GObject> session;
    if (rtpbin) g_signal_emit_by_name(rtpbin.get(), "get-internal-session", 0u, static_cast<GObject**>(out(session)));
    if (session) {
      g_object_set(session.get(), "rtcp-min-interval", static_cast<guint64>(GST_SECOND), nullptr);
      rtcp_interval_set_ = true;
    }
  }
  static_assert(std::atomic<std::int64_t>::is_always_lock_free);
  int state = ice_state_;
  bool connected = state == static_cast<int>(protocol::IceState::connected);
  bool lost = state == static_cast<int>(protocol::IceState::disconnected);
  if (connected) adapt_jitter_buffer();
  if (!connected && !lost) return;
  // Any RTP counted by our receive probes, or RTCP from any remote SSRC, is a sign of life.
  std::int64_t now = steady_now_ns();
  std::uint64_t packets = recv_audio_ + recv_video_;
  if (packets != watchdog_packets_ || last_rtcp_ns_ > watchdog_seen_ns_) {
    watchdog_packets_ = packets;
    watchdog_seen_ns_ = now;
  }
  if (watchdog_seen_ns_ == 0) watchdog_seen_ns_ = now;
  bool silent = now - watchdog_seen_ns_ > static_cast<std::int64_t>(options_.liveness_timeout_ms) * 1000000;
  if (connected && silent) {
    ice_state_ = static_cast<int>(protocol::IceState::disconnected);
    emit(protocol::media_event::IceStateChanged{protocol::IceState::disconnected});
  } else if (lost && !silent) {
    ice_state_ = static_cast<int>(protocol::IceState::connected);
    emit(protocol::media_event::IceStateChanged{protocol::IceState::connected});
  }
}

}  // namespace mxcall::media::gst
