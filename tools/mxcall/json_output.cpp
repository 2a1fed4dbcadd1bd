// `--json`: one JSON object per line on standard output, flushed at once (scripts read it as it happens). Every
// object has `event` and `time`; call objects have `call_id` and `room_id`. docs/cli.md lists every field.
#include <cstdio>
#include <ctime>

#include "json_output.hpp"
#include "mxcall/protocol/json_writer.hpp"

namespace mxcall::tools {
namespace {

std::string number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3f", value);
  return buffer;
}

class Line {
 public:
  explicit Line(std::string_view event) : w_(out_) {
    w_.start_object().field("event", event).field("time", wall_clock_iso8601());
  }
  Line& str(std::string_view key, std::string_view value) {
    w_.field(key, value);
    return *this;
  }
  Line& uint(std::string_view key, std::uint64_t value) {
    w_.key(key).uint(value);
    return *this;
  }
  Line& integer(std::string_view key, std::int64_t value) {
    w_.key(key).integer(value);
    return *this;
  }
  Line& boolean(std::string_view key, bool value) {
    w_.key(key).boolean(value);
    return *this;
  }
  Line& real(std::string_view key, std::optional<double> value) {
    w_.key(key);
    if (value) {
      w_.raw(number(*value));
    } else {
      w_.null();
    }
    return *this;
  }
  Line& call(const CallRef& ref) { return str("call_id", ref.call_id).str("room_id", ref.room_id); }
  protocol::JsonWriter& writer() { return w_; }
  void print() {
    w_.end_object();
    out_ += '\n';
    std::fwrite(out_.data(), 1, out_.size(), stdout);
    std::fflush(stdout);
  }

 private:
  std::string out_;
  protocol::JsonWriter w_;
};

void call_fields(Line& line, const CallView& call) {
  line.call(call.ref)
      .str("peer", call.peer)
      .str("direction", call.outgoing ? "outgoing" : "incoming")
      .boolean("video", call.video);
}

}  // namespace

void JsonOutput::fact(std::string_view event, const std::vector<Field>& fields, std::string_view /*text*/) {
  Line line(event);
  for (const Field& f : fields) {
    if (auto s = std::get_if<std::string>(&f.value)) {
      line.str(f.key, *s);
    } else if (auto i = std::get_if<std::int64_t>(&f.value)) {
      line.integer(f.key, *i);
    } else if (auto b = std::get_if<bool>(&f.value)) {
      line.boolean(f.key, *b);
    } else if (auto d = std::get_if<double>(&f.value)) {
      line.real(f.key, *d);
    } else {
      line.writer().key(f.key).null();
    }
  }
  line.print();
}

void JsonOutput::error(std::string_view message, std::string_view code) {
  Line line("error");
  line.str("message", message);
  if (!code.empty()) line.str("code", code);
  line.print();
}

void JsonOutput::warning(std::string_view message) { Line("warning").str("message", message).print(); }

void JsonOutput::incoming(const IncomingCall& call, std::string_view action) {
  Line("incoming")
      .call(call.call)
      .str("caller", call.caller)
      .str("caller_party", call.caller_party)
      .boolean("video", call.video)
      .boolean("silent", call.silent)
      .str("action", action)
      .print();
}

void JsonOutput::state(const CallView& call) {
  Line line("state");
  call_fields(line, call);
  line.str("state", protocol::to_string(call.state));
  if (call.state == CallState::ended) {
    line.str("reason", call.end_reason).boolean("local", call.ended_locally);
    if (call.outcome) line.str("outcome", call.outcome->outcome).integer("exit_code", call.outcome->exit_code);
    line.real("connected_seconds", call.connected_seconds());
  }
  line.print();
}

void JsonOutput::stats(const CallView& call) {
  if (!call.stats) return;
  const CallStats& s = *call.stats;
  Line line("stats");
  line.call(call.ref)
      .uint("sent_packets", s.sent.packets)
      .uint("sent_bytes", s.sent.bytes)
      .real("sent_level", s.sent.level)
      .uint("received_packets", s.received.packets)
      .uint("received_bytes", s.received.bytes)
      .real("received_level", s.received.level)
      .uint("video_frames_received", s.video_frames_received)
      .real("round_trip_ms", s.round_trip_ms)
      .str("candidate_pair", s.candidate_pair)
      .print();
}

void JsonOutput::peer_media(const PeerMediaState& state) {
  Line("peer_media")
      .call(state.call)
      .boolean("audio_muted", state.audio_muted)
      .boolean("video_muted", state.video_muted)
      .boolean("on_hold", state.on_hold)
      .print();
}

void JsonOutput::signalling(const SignallingTrace& trace) {
  if (!verbose_) return;
  Line line("signalling");
  line.str("direction", direction_name(trace.direction))
      .str("type", trace.type)
      .str("room_id", trace.room_id)
      .str("call_id", trace.call_id);
  if (!trace.detail.empty()) line.str("detail", trace.detail);
  line.print();
}

void JsonOutput::summary(int exit_code, const std::vector<const CallView*>& calls) {
  Line line("summary");
  line.integer("exit_code", exit_code);
  auto& w = line.writer();
  w.key("calls").start_array();
  for (const CallView* call : calls) {
    w.start_object()
        .field("call_id", call->ref.call_id)
        .field("room_id", call->ref.room_id)
        .field("peer", call->peer)
        .field("direction", call->outgoing ? "outgoing" : "incoming")
        .field("reason", call->end_reason)
        .field("outcome", call->outcome ? call->outcome->outcome : protocol::to_string(call->state));
    w.key("connected_seconds").raw(number(call->connected_seconds()));
    w.key("sent_packets").uint(call->stats ? call->stats->sent.packets : 0);
    w.key("received_packets").uint(call->stats ? call->stats->received.packets : 0);
    w.end_object();
  }
  w.end_array();
  line.print();
}

}  // namespace mxcall::tools
