// The exit status of every mxcall command, and the one table that maps how a call ended to it (docs/cli.md lists
// the same table; tests/cli checks it end to end).
#pragma once

#include <string_view>

namespace mxcall::tools {

enum ExitCode : int {
  kExitOk = 0,             // a call connected and ended normally (or the command did what was asked)
  kExitFailure = 1,        // validate: an event was invalid
  kExitUsage = 2,          // a usage error: unknown option, bad value, missing argument
  kExitRejected = 3,       // the peer rejected the call or was busy
  kExitNoAnswer = 4,       // nobody answered in time (or no call came while waiting)
  kExitMedia = 5,          // media or ICE failure (or the call failed for another reason)
  kExitHomeserver = 6,     // login or homeserver error
  kExitInterrupted = 130,  // a second Ctrl-C: quit at once without waiting for the hangup to be sent
};

// How one call ended, from this side's point of view.
struct CallEnd {
  std::string_view
      reason;          // the hangup reason sent or received, or rejected / invite_timeout / answered_elsewhere / ...
  bool local = false;  // we ended it (our hangup, reject, timeout)
  bool connected = false;  // media connected at some point
  bool outgoing = false;   // we placed the call
};

struct EndOutcome {
  int exit_code;
  std::string_view outcome;  // completed, rejected, busy, not_answered, cancelled, media_failed, failed, ...
  bool counts = true;        // false: the call was never ours (answered elsewhere); --count does not count it
};

EndOutcome classify_end(const CallEnd& end);

}  // namespace mxcall::tools
