// Rule 30 (put early candidates in the SDP): our first offer or answer carries the candidates gathered before it
// goes out, and waits for them at most GstEngineOptions::candidate_gathering_wait_ms. The wait does not block the
// caller: describe() hands the description here after set-local-description (which starts gathering) and returns;
// the description goes out when gathering ends (on_gathering_state, a GStreamer thread) or when the watchdog thread
// finds the deadline passed, whichever comes first. Until then on_ice_candidate keeps each candidate for it.
#include <chrono>
#include <utility>

#include "sdp_info.hpp"
#include "session.hpp"

namespace mxcall::media::gst {

namespace ev = protocol::media_event;

void Session::hold_first_description(std::string type, std::string sdp) {
  {
    std::lock_guard lock(mu_);
    held_description_ = HeldDescription{std::move(type), std::move(sdp)};
  }
  // Gathering may have ended during set-local-description; without a watchdog (a session that failed to start)
  // nothing would release it later.
  if (gathering_complete_ || !watchdog_.joinable()) {
    release_held_description();
    return;
  }
  {
    std::lock_guard lock(watchdog_mu_);
    held_description_deadline_ =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.candidate_gathering_wait_ms);
  }
  watchdog_cv_.notify_all();
}

// Called by whichever comes first (and harmlessly by the other): gathering's end, the deadline, or
// hold_first_description itself when gathering was already over.
void Session::release_held_description() {
  std::lock_guard lock(mu_);
  if (!held_description_) return;
  HeldDescription held = std::move(*held_description_);
  held_description_.reset();
  collecting_candidates_ = false;
  std::vector<GatheredCandidate> gathered = std::move(collected_);
  collected_.clear();
  // Emitted under mu_: a candidate found meanwhile waits for mu_ in on_ice_candidate, so none overtakes it.
  emit(ev::LocalDescription{std::move(held.type), with_candidates(held.sdp, gathered, gathering_complete_)});
}

}  // namespace mxcall::media::gst
