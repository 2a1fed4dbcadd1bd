#include "exit_codes.hpp"

namespace mxcall::tools {

EndOutcome classify_end(const CallEnd& end) {
  const std::string_view r = end.reason;
  // Failures first: whoever sent them and whenever they came, the call failed (rule 49 hangup reasons).
  if (r == "ice_failed" || r == "ice_timeout") return {kExitMedia, "ice_failed"};
  if (r == "user_media_failed") return {kExitMedia, "media_failed"};
  if (r == "unknown_error") return {kExitMedia, "failed"};
  if (r == "answered_elsewhere") return {kExitOk, "answered_elsewhere", false};
  // Busy: the peer was (rule 50), or we declined a call beyond --max-calls as busy, as asked.
  if (r == "user_busy") return end.local ? EndOutcome{kExitOk, "busy_here", false} : EndOutcome{kExitRejected, "busy"};
  if (r == "transferred") return {kExitOk, "transferred", false};  // the replacement call goes on (rule T8)
  if (r == "rejected") return {end.local ? kExitOk : kExitRejected, end.local ? "rejected_here" : "rejected"};
  if (r == "replaced") return {kExitOk, "replaced", false};  // glare: the other call of the pair goes on
  if (r == "invite_timeout") return {kExitNoAnswer, "not_answered"};
  if (end.connected) {
    // user_hangup, a missing reason (rule 49 missing means user_hangup) or a reason this version does not know, after
    // media flowed.
    return {kExitOk, "completed"};
  }
  if (end.outgoing) {
    // Ended before an answer: our Ctrl-C while ringing is a cancel; the peer's hangup is a v0 reject (rule 43 v0 reject
    // by hangup).
    return end.local ? EndOutcome{kExitNoAnswer, "cancelled"} : EndOutcome{kExitRejected, "rejected"};
  }
  // Incoming and never connected: the caller gave up, or we hung up while it was being set up.
  return end.local ? EndOutcome{kExitNoAnswer, "cancelled"} : EndOutcome{kExitNoAnswer, "missed"};
}

}  // namespace mxcall::tools
