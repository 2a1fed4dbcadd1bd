#include "demo_report.hpp"

#include <cstdio>
#include <ostream>

#include "mxcall/protocol/json_writer.hpp"

namespace mxcall::tools {

namespace {

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

std::string time_label(double ms) { return "[" + std::string(ms < 10000 ? " " : "") + fixed(ms / 1000.0, 3) + " s]"; }

// A 20-cell bar for a 0..1 level.
std::string bar(std::optional<double> level) {
  int cells = level ? static_cast<int>(*level * 20.0 + 0.5) : 0;
  cells = std::max(0, std::min(20, cells));
  std::string out;
  for (int i = 0; i < 20; ++i) out += i < cells ? "#" : ".";
  return out;
}

std::string_view direction_word(SignallingTrace::Direction d) {
  switch (d) {
    case SignallingTrace::Direction::sent: return "sent";
    case SignallingTrace::Direction::received: return "received";
    case SignallingTrace::Direction::ignored: return "ignored";
  }
  return "?";
}

}  // namespace

DemoReport::DemoReport(std::ostream& out, DemoFormat format) : out_(out), format_(format) {}

double DemoReport::since_placed_ms() const {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - placed_).count();
}

void DemoReport::json_line(const std::function<void(protocol::JsonWriter&)>& fields) {
  std::string line;
  protocol::JsonWriter w(line);
  w.start_object().key("t_ms").integer(static_cast<std::int64_t>(since_placed_ms()));
  fields(w);
  w.end_object();
  out_ << line << '\n' << std::flush;
}

void DemoReport::end_meter_line() {
  if (meter_shown_) out_ << "\r\033[K";
  meter_shown_ = false;
}

void DemoReport::signalling(const PartyRecord& party, const SignallingTrace& trace) {
  double t = since_placed_ms();
  if (format_ == DemoFormat::json) {
    return json_line([&](protocol::JsonWriter& w) {
      w.field("party", party.name).field("event", direction_word(trace.direction)).field("type", trace.type);
      w.field("call_id", trace.call_id);
      if (!trace.detail.empty()) w.field("detail", trace.detail);
    });
  }
  // Received events are the mirror of sent ones in a two-party room: shown only when something went wrong.
  if (trace.direction == SignallingTrace::Direction::received) return;
  end_meter_line();
  out_ << time_label(t) << ' ' << party.name << ' ' << direction_word(trace.direction) << ' '
       << (trace.type.empty() ? "an event" : trace.type);
  if (!trace.detail.empty()) out_ << " (" << trace.detail << ')';
  out_ << '\n' << std::flush;
}

void DemoReport::state(const PartyRecord& party, const CallStateChange& change) {
  double t = since_placed_ms();
  if (format_ == DemoFormat::json) {
    return json_line([&](protocol::JsonWriter& w) {
      w.field("party", party.name).field("event", "state").field("state", protocol::to_string(change.state));
      if (change.state == CallState::ended) w.field("reason", change.reason).key("local").boolean(change.local);
    });
  }
  end_meter_line();
  out_ << time_label(t) << ' ' << party.name << " is " << protocol::to_string(change.state);
  if (change.state == CallState::ended) out_ << " (" << change.reason << (change.local ? ", by us" : "") << ')';
  out_ << '\n' << std::flush;
}

void DemoReport::peer_state(const PartyRecord& party, const PeerMediaState& state) {
  note(party.name + ": the peer is " + (state.on_hold ? "holding the call" : "not holding") +
       (state.audio_muted ? ", muted" : ""));
}

void DemoReport::incoming(const PartyRecord& party, const IncomingCall& call) {
  note(party.name + ": incoming " + (call.video ? "video" : "voice") + " call from " + call.caller + " (" +
       call.caller_party + ")");
}

void DemoReport::note(const std::string& text) {
  if (format_ == DemoFormat::json) {
    return json_line([&](protocol::JsonWriter& w) { w.field("event", "note").field("text", text); });
  }
  end_meter_line();
  out_ << time_label(since_placed_ms()) << ' ' << text << '\n' << std::flush;
}

void DemoReport::levels(const PartyRecord& caller, const PartyRecord& callee) {
  auto now = std::chrono::steady_clock::now();
  const auto& heard_by_callee = callee.last_stats.received;
  const auto& heard_by_caller = caller.last_stats.received;
  if (format_ == DemoFormat::terminal) {
    out_ << "\r\033[K" << caller.name << " -> " << callee.name << " " << bar(heard_by_callee.level) << ' '
         << heard_by_callee.packets << " pkts   " << callee.name << " -> " << caller.name << " "
         << bar(heard_by_caller.level) << ' ' << heard_by_caller.packets << " pkts" << std::flush;
    meter_shown_ = true;
    return;
  }
  if (now - last_level_line_ < std::chrono::seconds{1}) return;
  last_level_line_ = now;
  if (format_ == DemoFormat::json) {
    return json_line([&](protocol::JsonWriter& w) {
      w.field("event", "levels").key("forward_level").raw(fixed(heard_by_callee.level.value_or(0), 3));
      w.key("forward_packets").uint(heard_by_callee.packets);
      w.key("back_level").raw(fixed(heard_by_caller.level.value_or(0), 3));
      w.key("back_packets").uint(heard_by_caller.packets);
    });
  }
  out_ << time_label(since_placed_ms()) << " level " << caller.name << " -> " << callee.name << ' '
       << fixed(heard_by_callee.level.value_or(0), 2) << " (" << heard_by_callee.packets << " packets), " << callee.name
       << " -> " << caller.name << ' ' << fixed(heard_by_caller.level.value_or(0), 2) << " (" << heard_by_caller.packets
       << " packets)\n"
       << std::flush;
}

bool DemoReport::summary(const SetupPhases& phases, const Direction& forward, const Direction& back, bool video,
                         std::uint64_t caller_frames, std::uint64_t callee_frames) {
  end_meter_line();
  bool video_ok = !video || (caller_frames > 0 && callee_frames > 0);
  bool ok = forward.ok && back.ok && video_ok;
  auto phase = [](const std::optional<double>& ms) { return ms ? fixed(*ms, 0) + " ms" : std::string("never"); };
  if (format_ == DemoFormat::json) {
    std::string line;
    protocol::JsonWriter w(line);
    w.start_object().field("event", "summary").key("setup_ms").start_object();
    auto field = [&](const char* name, const std::optional<double>& ms) {
      w.key(name);
      if (ms) {
        w.raw(fixed(*ms, 1));
      } else {
        w.null();
      }
    };
    field("invite_sent", phases.invite_sent);
    field("ringing", phases.ringing);
    field("answer_sent", phases.answer_sent);
    field("caller_connected", phases.caller_connected);
    field("callee_connected", phases.callee_connected);
    field("caller_first_audio", phases.caller_first_audio);
    field("callee_first_audio", phases.callee_first_audio);
    w.end_object().key("directions").start_array();
    for (const Direction* d : {&forward, &back}) {
      w.start_object().field("from", d->from).field("to", d->to);
      w.key("sent_hz").raw(fixed(d->sent_hz, 1)).key("heard_hz").raw(fixed(d->heard_hz, 1));
      w.key("packets_sent").uint(d->packets_sent).key("packets_received").uint(d->packets_received);
      w.key("samples_decoded").uint(d->samples_decoded).key("ok").boolean(d->ok).end_object();
    }
    w.end_array();
    if (video)
      w.key("video_frames")
          .start_object()
          .key("caller")
          .uint(caller_frames)
          .key("callee")
          .uint(callee_frames)
          .end_object();
    w.key("ok").boolean(ok).end_object();
    out_ << line << '\n' << std::flush;
    return ok;
  }
  out_ << "\nsetup (from placing the call):\n"
       << "  invite sent          " << phase(phases.invite_sent) << '\n'
       << "  ringing              " << phase(phases.ringing) << '\n'
       << "  answer sent          " << phase(phases.answer_sent) << '\n'
       << "  ICE connected        " << phase(phases.caller_connected) << " (caller), " << phase(phases.callee_connected)
       << " (callee)\n"
       << "  first audio decoded  " << phase(phases.caller_first_audio) << " (caller), "
       << phase(phases.callee_first_audio) << " (callee)\n"
       << "audio:\n";
  for (const Direction* d : {&forward, &back}) {
    out_ << "  " << d->from << " -> " << d->to << ": sent " << fixed(d->sent_hz, 0) << " Hz, heard "
         << (d->heard_hz > 0 ? fixed(d->heard_hz, 1) + " Hz" : std::string("nothing")) << "; " << d->packets_sent
         << " packets sent, " << d->packets_received << " received, " << fixed(d->samples_decoded / 48000.0, 1)
         << " s decoded  " << (d->ok ? "OK" : "FAILED") << '\n';
  }
  if (video) {
    out_ << "video frames decoded: " << caller_frames << " (caller), " << callee_frames << " (callee)  "
         << (video_ok ? "OK" : "FAILED") << '\n';
  }
  out_ << (ok ? "demo passed: both directions carried the other side's tone\n"
              : "demo FAILED: a direction did not carry the other side's tone\n")
       << std::flush;
  return ok;
}

}  // namespace mxcall::tools
