#include "text_output.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "json_output.hpp"
#include "printable.hpp"

namespace mxcall::tools {

double CallView::connected_seconds() const {
  if (!connected_at) return 0;
  auto end = ended_at.value_or(std::chrono::steady_clock::now());
  return std::chrono::duration<double>(end - *connected_at).count();
}

std::string wall_clock_iso8601() {
  auto now = std::chrono::system_clock::now();
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char buffer[40];
  std::size_t n = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(buffer + n, sizeof buffer - n, ".%03dZ", static_cast<int>(millis));
  return buffer;
}

std::string_view direction_name(SignallingTrace::Direction direction) {
  switch (direction) {
    case SignallingTrace::Direction::sent: return "sent";
    case SignallingTrace::Direction::received: return "received";
    case SignallingTrace::Direction::ignored: return "ignored";
  }
  return "?";
}

std::unique_ptr<Output> Output::make(std::string command, bool json, bool verbose) {
  if (json) return std::make_unique<JsonOutput>(verbose);
  return std::make_unique<TextOutput>(std::move(command), verbose, ::isatty(1) == 1);
}

std::string format_elapsed(double seconds) {
  long total = std::lround(std::max(0.0, seconds));
  char buffer[32];
  if (total >= 3600) {
    std::snprintf(buffer, sizeof buffer, "%ld:%02ld:%02ld", total / 3600, total / 60 % 60, total % 60);
  } else {
    std::snprintf(buffer, sizeof buffer, "%02ld:%02ld", total / 60, total % 60);
  }
  return buffer;
}

std::string level_meter(std::optional<double> level, int width) {
  int filled = level ? static_cast<int>(std::lround(std::clamp(*level, 0.0, 1.0) * width)) : 0;
  return "[" + std::string(static_cast<std::size_t>(filled), '#') +
         std::string(static_cast<std::size_t>(width - filled), '-') + "]";
}

namespace {

std::string describe_state(const CallView& call) {
  std::string who = printable(call.peer);
  switch (call.state) {
    case CallState::create_offer: return "calling " + who + " (preparing the offer)";
    case CallState::invite_sent: return "ringing " + who;
    case CallState::ringing: return "incoming call from " + who + " is ringing";
    case CallState::ringing_silent: return "incoming call from " + who + " (silent: a public room)";
    case CallState::create_answer: return "answering " + who;
    case CallState::connecting: return "connecting to " + who;
    case CallState::connected: return "connected to " + who;
    case CallState::ended: break;
  }
  std::string text = "call with " + who + " ended: " + (call.outcome ? std::string(call.outcome->outcome) : "?");
  text += " (" + (call.end_reason.empty() ? std::string("no reason") : printable(call.end_reason)) + ", " +
          (call.ended_locally ? "by us" : "by the peer") + ")";
  if (call.connected_at) text += " after " + format_elapsed(call.connected_seconds());
  return text;
}

}  // namespace

TextOutput::TextOutput(std::string command, bool verbose, bool terminal)
    : Output(verbose), command_(std::move(command)), terminal_(terminal) {}

void TextOutput::line(std::FILE* stream, std::string_view text) {
  std::string out;
  if (terminal_ && !status_.empty()) {
    std::fputs("\r\033[K", stdout);  // clear the status line; it is drawn again below the new line
    std::fflush(stdout);
  }
  if (!terminal_ && stream == stdout) out = wall_clock_iso8601().substr(11, 12) + " ";
  out += text;
  out += '\n';
  std::fwrite(out.data(), 1, out.size(), stream);
  std::fflush(stream);
  // The status line is drawn again at the next tick, from the new state (redrawing the old one would show a state
  // that this very line has just changed).
  status_.clear();
}

// Facts, errors and warnings carry names from the homeserver (room ids, inviters, the server's own error text).
void TextOutput::fact(std::string_view /*event*/, const std::vector<Field>& /*fields*/, std::string_view text) {
  line(stdout, printable(text));
}

void TextOutput::error(std::string_view message, std::string_view /*code*/) {
  line(stderr, "mxcall " + command_ + ": " + printable(message));
}

void TextOutput::warning(std::string_view message) {
  line(stderr, "mxcall " + command_ + ": warning: " + printable(message));
}

void TextOutput::incoming(const IncomingCall& call, std::string_view action) {
  std::string text = std::string(call.video ? "incoming video call" : "incoming voice call") + " from " +
                     printable(call.caller) + " in " + printable(call.call.room_id);
  if (action == "answer") text += ": answering";
  if (action == "reject") text += ": rejecting";
  if (action == "ring") text += ": letting it ring (answer it elsewhere, or run with --auto)";
  if (action == "ignore_sender") text += ": not from a --from user, ignored";
  if (action == "at_capacity") text += ": at --max-calls, left ringing for another device";
  if (action == "busy") text += ": at --max-calls, declined as busy";
  if (action == "transfer") text += ": the new call of a transfer we accepted, answered";
  line(stdout, text);
}

void TextOutput::state(const CallView& call) { line(stdout, describe_state(call)); }

void TextOutput::peer_media(const PeerMediaState& state) {
  std::string text = "peer: ";
  text += state.on_hold ? "put us on hold" : "not holding";
  text += state.audio_muted ? ", microphone muted" : ", microphone on";
  text += state.video_muted ? ", camera off" : "";
  line(stdout, text);
}

void TextOutput::signalling(const SignallingTrace& trace) {
  if (!verbose_) return;
  std::string text = std::string(direction_name(trace.direction)) + " " + printable(trace.type) + " " +
                     printable(trace.call_id) + " in " + printable(trace.room_id);
  if (!trace.detail.empty()) text += ": " + printable(trace.detail);
  line(stderr, text);
}

void TextOutput::tick(const std::vector<const CallView*>& live, std::string_view waiting) {
  if (!terminal_) return;
  static constexpr std::string_view kSpinner = "|/-\\";
  char spin = kSpinner[spinner_++ % kSpinner.size()];
  std::string status;
  auto now = std::chrono::steady_clock::now();
  for (const CallView* call : live) {
    if (!status.empty()) status += " | ";
    std::string state(protocol::to_string(call->state));
    if (call->state == CallState::connected) {
      status += state + " " + format_elapsed(call->connected_seconds()) + " " + printable(call->peer);
      // A meter only for a direction whose level the media engine measures.
      if (call->stats && call->stats->sent.level) status += "  out " + level_meter(call->stats->sent.level);
      if (call->stats) status += "  in " + level_meter(call->stats->received.level);
      if (call->stats && call->stats->round_trip_ms) {
        status += "  rtt " + std::to_string(std::lround(*call->stats->round_trip_ms)) + " ms";
      }
    } else {
      double waited = std::chrono::duration<double>(now - call->started).count();
      status += state + " " + format_elapsed(waited) + " " + printable(call->peer) + " " + spin;
    }
  }
  if (status.empty() && !waiting.empty()) status = std::string(waiting) + " " + spin;
  status_ = "\r\033[K" + status;
  std::fputs(status_.c_str(), stdout);
  std::fflush(stdout);
}

void TextOutput::summary(int exit_code, const std::vector<const CallView*>& calls) {
  if (terminal_ && !status_.empty()) {
    std::fputs("\r\033[K", stdout);
    status_.clear();
  }
  for (const CallView* call : calls) {
    std::string text = "call " + printable(call->ref.call_id) + " with " + printable(call->peer) + ": " +
                       std::string(call->outcome ? call->outcome->outcome : protocol::to_string(call->state));
    if (call->connected_at) text += ", connected " + format_elapsed(call->connected_seconds());
    if (call->stats) {
      text += ", audio packets sent " + std::to_string(call->stats->sent.packets) + ", received " +
              std::to_string(call->stats->received.packets);
    }
    line(stdout, text);
  }
  line(stdout, "exit status " + std::to_string(exit_code));
}

}  // namespace mxcall::tools
