#include "replay.hpp"

#include <simdjson.h>

#include <deque>
#include <initializer_list>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <tuple>

#include "mxcall/media/fake_media_engine.hpp"
#include "mxcall/protocol/event_reader.hpp"
#include "mxcall/protocol/json_writer.hpp"
#include "mxcall/protocol/router.hpp"

namespace mxcall::tools {
namespace {

namespace dom = simdjson::dom;
using protocol::Millis;

struct ScriptError {
  std::string what;
};

std::string_view str(dom::element e, const char* key, bool required = true) {
  std::string_view out;
  if (e[key].get(out)) {
    if (required) throw ScriptError{std::string("\"") + key + "\" must be a string"};
    return {};
  }
  return out;
}

// A script's times and timer lengths are at most this (about 31 years): anything larger is a typo or an attack on
// the engine's time arithmetic, never a scenario.
constexpr std::uint64_t kMaxScriptMillis = 1'000'000'000'000;

// A key the script format does not know is an error: a misspelt "invite" or "videoo" would otherwise be silently
// ignored and the script would test something else than its author meant.
void only_keys(dom::element e, std::initializer_list<std::string_view> known, std::string_view where) {
  dom::object object;
  if (e.get(object)) throw ScriptError{std::string(where) + " must be a JSON object"};
  for (auto [key, value] : object) {
    (void)value;
    bool listed = false;
    for (auto k : known) listed |= k == key;
    if (!listed) throw ScriptError{"unknown key \"" + std::string(key) + "\" in " + std::string(where)};
  }
}

bool flag(dom::element e, const char* key) {
  bool out = false;
  if (e[key].error() == simdjson::NO_SUCH_FIELD) return false;
  if (e[key].get(out)) throw ScriptError{std::string("\"") + key + "\" must be true or false"};
  return out;
}

// Optional overrides of the engine's caps, on the first line: "limits": {"max_live_calls_per_sender": 2, ...}.
void read_limits(dom::element first, protocol::Limits& limits) {
  dom::object overrides;
  if (first["limits"].get(overrides)) return;
  for (auto [key, value] : overrides) {
    std::uint64_t v = 0;
    if (value.get(v)) throw ScriptError{"limits." + std::string(key) + " must be a non-negative integer"};
    std::size_t* field = key == "max_live_calls"                   ? &limits.max_live_calls
                         : key == "max_live_calls_per_room"        ? &limits.max_live_calls_per_room
                         : key == "max_live_calls_per_sender"      ? &limits.max_live_calls_per_sender
                         : key == "max_remembered_call_ids"        ? &limits.max_remembered_call_ids
                         : key == "early_bytes_per_call"           ? &limits.early_bytes_per_call
                         : key == "early_bytes_total"              ? &limits.early_bytes_total
                         : key == "max_remote_candidates_per_call" ? &limits.max_remote_candidates_per_call
                                                                   : nullptr;
    if (field == nullptr) throw ScriptError{"unknown limit \"" + std::string(key) + "\""};
    *field = static_cast<std::size_t>(v);
  }
}

// Optional overrides of the engine's timers, on the first line: "timeouts": {"ring_grace_ms": 0, ...}.
protocol::Timeouts read_timeouts(dom::element first) {
  protocol::Timeouts t;
  read_limits(first, t.limits);
  dom::object overrides;
  if (first["timeouts"].get(overrides)) return t;
  for (auto [key, value] : overrides) {
    std::uint64_t v = 0;
    if (value.get(v)) throw ScriptError{"timeouts." + std::string(key) + " must be a non-negative integer"};
    if (v > kMaxScriptMillis && !key.ends_with("_per_call") && !key.ends_with("_calls")) {
      throw ScriptError{"timeouts." + std::string(key) + " is over " + std::to_string(kMaxScriptMillis) + " ms"};
    }
    if (key == "invite_lifetime_ms")
      t.invite_lifetime_ms = v;
    else if (key == "ring_grace_ms")
      t.ring_grace_ms = v;
    else if (key == "negotiate_lifetime_ms")
      t.negotiate_lifetime_ms = v;
    else if (key == "candidate_batch_caller_ms")
      t.candidate_batch_caller_ms = v;
    else if (key == "candidate_batch_callee_ms")
      t.candidate_batch_callee_ms = v;
    else if (key == "connect_timeout_ms")
      t.connect_timeout_ms = v;
    else if (key == "ice_restart_delay_ms")
      t.ice_restart_delay_ms = v;
    else if (key == "ice_disconnected_hangup_ms")
      t.ice_disconnected_hangup_ms = v;
    else if (key == "ended_call_memory_ms")
      t.ended_call_memory_ms = v;
    else if (key == "early_events_per_call")
      t.early_events_per_call = v;
    else if (key == "early_event_calls")
      t.early_event_calls = v;
    else if (key == "max_peer_lifetime_ms")
      t.max_peer_lifetime_ms = v;
    else if (key == "transfer_await_ms")
      t.transfer_await_ms = v;
    else
      throw ScriptError{"unknown timeout \"" + std::string(key) + "\""};
  }
  return t;
}

class Replay final : public media::MediaEventSink {
 public:
  Replay(protocol::LocalParty me, protocol::Timeouts timeouts, media::FakeMediaOptions media, std::ostream& out)
      : router_(std::move(me), timeouts), engine_(media), out_(out) {}

  void on_media_event(protocol::MediaEvent event) override { pending_media_.push_back(std::move(event)); }

  // Runs every timer due up to `t`, each at its own time, then sets the clock to `t`.
  void advance_to(Millis t) {
    if (t < now_)
      throw ScriptError{"\"t\" went back in time (" + std::to_string(t) + " < " + std::to_string(now_) + ")"};
    while (auto deadline = router_.next_deadline()) {
      if (*deadline > t) break;
      now_ = std::max(now_, *deadline);
      router_.advance(now_);
      drain();
    }
    now_ = t;
    router_.advance(now_);
    drain();
  }

  void apply(dom::element line) {
    only_keys(line, {"t", "sync", "do", "media", "room", "member_left"}, "a script line");
    dom::array sync;
    dom::element action, media_event, room, left;
    if (!line["sync"].get(sync)) {
      std::string text = simdjson::minify(sync);
      batch_.clear();
      if (auto error = reader_.read_events(text, {}, batch_)) throw ScriptError{"sync: " + error->to_string()};
      router_.sync_batch(batch_, now_);
    } else if (!line["do"].get(action)) {
      router_.act(read_action(action), now_);
    } else if (!line["media"].get(media_event)) {
      router_.media_event(read_media_event(media_event), now_);
    } else if (!line["room"].get(room)) {
      only_keys(room, {"room_id", "join_rule"}, "\"room\"");
      router_.room_join_rule({std::string(str(room, "room_id")), str(room, "join_rule") == "public"}, now_);
    } else if (!line["member_left"].get(left)) {
      only_keys(left, {"room_id", "user_id"}, "\"member_left\"");
      router_.member_left({std::string(str(left, "room_id")), std::string(str(left, "user_id"))}, now_);
    } else {
      dom::object obj = line.get_object();
      if (obj.size() != 1) throw ScriptError{"a line carries one of sync, do, media, room, member_left"};
    }
    drain();
  }

 private:
  protocol::UserAction read_action(dom::element a) {
    namespace act = protocol::action;
    only_keys(a,
              {"action", "room_id", "call_id", "invitee", "dm_peer", "video", "video_only", "target_user",
               "target_room", "display_name", "avatar_url", "identity_id", "new_call_id", "replacement_id", "await",
               "new_room_id", "digits"},
              "\"do\"");
    std::string_view name = str(a, "action");
    protocol::CallRef ref{std::string(str(a, "room_id")), std::string(str(a, "call_id"))};
    if (name == "call") {
      std::optional<std::string> invitee;
      if (auto v = str(a, "invitee", false); !v.empty()) invitee = std::string(v);
      std::optional<std::string> dm_peer;
      if (auto v = str(a, "dm_peer", false); !v.empty()) dm_peer = std::string(v);
      return act::Call{ref.room_id, ref.call_id, invitee, flag(a, "video"), dm_peer};
    }
    if (name == "answer") return act::Answer{ref, flag(a, "video")};
    if (name == "reject") return act::Reject{ref};
    if (name == "hangup") return act::Hangup{ref};
    if (name == "hold") return act::Hold{ref};
    if (name == "resume") return act::Resume{ref};
    if (name == "mute") return act::Mute{ref, !flag(a, "video_only"), flag(a, "video") || flag(a, "video_only")};
    if (name == "unmute") return act::Mute{ref, false, false};
    if (name == "video_on") return act::SetVideo{ref, true};
    if (name == "video_off") return act::SetVideo{ref, false};
    if (auto feature = read_feature_action(name, a, ref)) return *feature;
    if (name == "dtmf") return act::SendDtmf{ref, std::string(str(a, "digits"))};
    if (name == "share_screen") return act::ShareScreen{ref, true};
    if (name == "stop_sharing") return act::ShareScreen{ref, false};
    throw ScriptError{"unknown action \"" + std::string(name) + "\""};
  }

  // Transfer (rules T3, T7, T9), asserted identity (rule A1) and busy (rule 50).
  static std::optional<protocol::UserAction> read_feature_action(std::string_view name, dom::element a,
                                                                 const protocol::CallRef& ref) {
    namespace act = protocol::action;
    auto optional = [&](const char* key) {
      auto v = str(a, key, false);
      return v.empty() ? std::nullopt : std::optional<std::string>(v);
    };
    std::string replacement_id(str(a, "replacement_id", false));
    if (name == "transfer") {
      return act::Transfer{ref,
                           std::string(str(a, "target_user")),
                           optional("display_name"),
                           optional("target_room"),
                           std::string(str(a, "new_call_id")),
                           replacement_id,
                           !flag(a, "await")};
    }
    if (name == "accept_transfer") {
      return act::AnswerTransfer{ref, replacement_id, true, std::string(str(a, "new_room_id", false)),
                                 flag(a, "video")};
    }
    if (name == "decline_transfer") return act::AnswerTransfer{ref, replacement_id, false, {}, false};
    if (name == "assert_identity") {
      std::optional<protocol::Identity> identity;
      if (auto id = optional("identity_id"), shown = optional("display_name"), avatar = optional("avatar_url");
          id || shown || avatar) {
        identity = protocol::Identity{id, shown, avatar};
      }
      return act::AssertIdentity{ref, identity};
    }
    if (name == "busy") return act::Busy{ref};
    return std::nullopt;
  }

  protocol::MediaEvent read_media_event(dom::element m) {
    namespace ev = protocol::media_event;
    only_keys(m, {"call_id", "event", "room_id", "candidate", "digit", "duration_ms", "stream_id", "active"},
              "\"media\"");
    std::string call_id(str(m, "call_id"));
    std::string room_id(str(m, "room_id", false));
    if (room_id.empty()) room_id = room_of(call_id);
    protocol::CallRef ref{room_id, call_id};
    std::string_view name = str(m, "event");
    if (name == "candidate") {
      dom::element c;
      if (m["candidate"].get(c)) throw ScriptError{"a candidate event needs \"candidate\""};
      only_keys(c, {"candidate", "sdpMid", "sdpMLineIndex"}, "\"candidate\"");
      ev::LocalCandidate candidate{std::string(str(c, "candidate")), std::nullopt, std::nullopt};
      if (auto mid = str(c, "sdpMid", false); !mid.empty()) candidate.sdp_mid = std::string(mid);
      std::uint64_t index = 0;
      if (!c["sdpMLineIndex"].get(index)) {
        if (index > 65535) throw ScriptError{"\"sdpMLineIndex\" is over 65535"};
        candidate.sdp_mline_index = static_cast<std::uint32_t>(index);
      }
      return {ref, candidate};
    }
    if (name == "gathering_complete") return {ref, ev::GatheringComplete{}};
    if (name == "description") {
      auto asked = last_create_.find(ref);
      if (asked == last_create_.end()) throw ScriptError{"no description was asked for call \"" + call_id + "\""};
      const auto& [type, stream_id, wants] = asked->second;
      return {ref, ev::LocalDescription{type, media::fake_sdp(type, stream_id, wants, ++descriptions_)}};
    }
    if (name == "connected") return {ref, ev::IceStateChanged{protocol::IceState::connected}};
    if (name == "disconnected") return {ref, ev::IceStateChanged{protocol::IceState::disconnected}};
    if (name == "failed") return {ref, ev::IceStateChanged{protocol::IceState::failed}};
    if (name == "media_failed") return {ref, ev::Failed{protocol::MediaFailure::local_media, "no microphone"}};
    if (name == "screenshare") {
      return {ref, ev::RemoteScreenshare{std::string(str(m, "stream_id")), flag(m, "active")}};
    }
    if (name == "dtmf") {
      std::string_view digit = str(m, "digit");
      std::uint64_t duration = 0;
      if (digit.size() != 1 || m["duration_ms"].get(duration) || duration > kMaxScriptMillis) {
        throw ScriptError{R"(a dtmf event is {"event":"dtmf","digit":"5","duration_ms":120})"};
      }
      return {ref, ev::DtmfReceived{digit[0], static_cast<std::uint32_t>(duration)}};
    }
    throw ScriptError{"unknown media event \"" + std::string(name) + "\""};
  }

  std::string room_of(const std::string& call_id) {
    for (const auto& [ref, session] : sessions_) {
      if (ref.call_id == call_id) return ref.room_id;
    }
    for (const auto& ref : known_calls_) {
      if (ref.call_id == call_id) return ref.room_id;
    }
    throw ScriptError{"no call \"" + call_id + "\" is known; give its room_id"};
  }

  // Prints and executes the router's outputs until it has nothing more to say; media events the fake engine makes
  // while executing go back into the router at the same time.
  void drain() {
    for (;;) {
      auto outputs = router_.take_outputs();
      for (auto& o : outputs) emit(o);
      if (pending_media_.empty()) {
        if (outputs.empty()) return;
        continue;
      }
      while (!pending_media_.empty()) {
        protocol::MediaEvent e = std::move(pending_media_.front());
        pending_media_.pop_front();
        router_.media_event(e, now_);
      }
    }
  }

  void emit(const protocol::Output& output) {
    std::string line;
    protocol::JsonWriter w(line);
    w.start_object().key("t").integer(now_);
    std::visit([&](const auto& o) { describe(w, o); }, output);
    w.end_object();
    out_ << line << '\n';
  }

  void describe(protocol::JsonWriter& w, const protocol::SendEvent& s) {
    w.key("send").start_object().field("room_id", s.room_id).field("type", protocol::type_name(s.kind));
    w.key("content").raw(s.content).end_object();
  }

  void describe(protocol::JsonWriter& w, const protocol::CallUpdate& u) {
    known_calls_.insert(u.call);
    w.key("state").start_object().field("room_id", u.call.room_id).field("call_id", u.call.call_id);
    w.field("state", protocol::to_string(u.state));
    if (u.state == protocol::CallState::ended) w.field("reason", u.reason);
    w.end_object();
  }

  void describe(protocol::JsonWriter& w, const protocol::Ignored& i) {
    w.key("ignored").start_object().field("event_id", i.event_id).field("why", i.why);
    if (!i.call.call_id.empty()) w.field("call_id", i.call.call_id);
    w.end_object();
  }

  void describe(protocol::JsonWriter& w, const protocol::PeerMuted& m) {
    w.key("peer_muted").start_object().field("call_id", m.call.call_id);
    w.key("audio").boolean(m.audio_muted).key("video").boolean(m.video_muted).end_object();
  }

  void describe(protocol::JsonWriter& w, const protocol::PeerHeld& h) {
    w.key("peer_held").start_object().field("call_id", h.call.call_id).key("held").boolean(h.held).end_object();
  }

  void describe(protocol::JsonWriter& w, const protocol::CallFeature& feature) {
    std::visit([&](const auto& f) { describe_feature(w, f); }, feature);
  }

  static void describe_feature(protocol::JsonWriter& w, const protocol::PeerCapabilities& c) {
    w.key("peer_capabilities").start_object().field("call_id", c.call.call_id);
    w.key("transferee").boolean(c.capabilities.transferee).key("dtmf").boolean(c.capabilities.dtmf).end_object();
  }

  static void write_identity(protocol::JsonWriter& w, const protocol::Identity& identity) {
    w.start_object();
    if (identity.id) w.field("id", *identity.id);
    if (identity.display_name) w.field("display_name", *identity.display_name);
    if (identity.avatar_url) w.field("avatar_url", *identity.avatar_url);
    w.end_object();
  }

  static void describe_feature(protocol::JsonWriter& w, const protocol::PeerIdentity& p) {
    w.key("peer_identity").start_object().field("call_id", p.call.call_id).key("identity");
    if (p.identity) {
      write_identity(w, *p.identity);
    } else {
      w.null();
    }
    w.end_object();
  }

  static void describe_feature(protocol::JsonWriter& w, const protocol::TransferRequested& t) {
    w.key("transfer_requested").start_object().field("call_id", t.call.call_id);
    w.field("replacement_id", t.replacement_id).key("target");
    write_identity(w, t.target);
    if (t.target_room) w.field("target_room", *t.target_room);
    w.field(t.we_place_call ? "create_call" : "await_call", t.new_call_id).end_object();
  }

  static void describe_feature(protocol::JsonWriter& w, const protocol::TransferUpdate& u) {
    w.key("transfer").start_object().field("call_id", u.call.call_id).field("replacement_id", u.replacement_id);
    w.field("status", protocol::to_string(u.status));
    if (u.replacement) w.field("replacement_call_id", u.replacement->call_id);
    if (!u.reason.empty()) w.field("reason", u.reason);
    w.end_object();
  }

  void describe(protocol::JsonWriter& w, const protocol::PeerScreenshare& s) {
    w.key("peer_screenshare").start_object().field("call_id", s.call.call_id).field("stream_id", s.stream_id);
    w.key("active").boolean(s.active).end_object();
  }

  void describe(protocol::JsonWriter& w, const protocol::DtmfDigit& d) {
    w.key("dtmf").start_object().field("call_id", d.call.call_id).field("digit", std::string_view(&d.digit, 1));
    w.key("duration_ms").uint(d.duration_ms).end_object();
  }

  void describe(protocol::JsonWriter& w, const protocol::ActionRefused& r) {
    w.key("refused").start_object().field("call_id", r.call.call_id).field("why", r.why).end_object();
  }

  void describe(protocol::JsonWriter& w, const protocol::MediaCommand& c) {
    namespace op = protocol::media_op;
    w.key("media").start_object().field("call_id", c.call.call_id).field("op", protocol::op_name(c.op));
    std::visit(
        [&](const auto& o) {
          using T = std::remove_cvref_t<decltype(o)>;
          if constexpr (std::is_same_v<T, op::CreateOffer>) {
            w.key("video").boolean(o.media.video);
            if (o.ice_restart) w.key("ice_restart").boolean(true);
            if (!o.screenshare_stream_id.empty()) w.field("screenshare", o.screenshare_stream_id);
          } else if constexpr (std::is_same_v<T, op::CreateAnswer>) {
            w.key("video").boolean(o.media.video);
          } else if constexpr (std::is_same_v<T, op::SetRemoteDescription>) {
            w.field("type", o.type).field("sdp", o.sdp);
            if (!o.screenshare_streams.empty()) {
              w.key("screenshare_streams").start_array();
              for (const auto& id : o.screenshare_streams) w.string(id);
              w.end_array();
            }
          } else if constexpr (std::is_same_v<T, op::AddRemoteCandidate>) {
            w.field("candidate", o.candidate);
            if (o.sdp_mid) w.field("sdpMid", *o.sdp_mid);
            if (o.sdp_mline_index) w.key("sdpMLineIndex").uint(*o.sdp_mline_index);
          } else if constexpr (std::is_same_v<T, op::SetDirection>) {
            w.field("direction", protocol::to_string(o.direction));
          } else if constexpr (std::is_same_v<T, op::SetMuted>) {
            w.key("audio").boolean(o.audio).key("video").boolean(o.video);
          } else if constexpr (std::is_same_v<T, op::SendDtmf>) {
            w.field("digits", o.digits).key("duration_ms").uint(o.duration_ms).key("gap_ms").uint(o.gap_ms);
          }
        },
        c.op);
    w.end_object();
    execute(c);
  }

  void execute(const protocol::MediaCommand& c) {
    namespace op = protocol::media_op;
    if (const auto* offer = std::get_if<op::CreateOffer>(&c.op))
      last_create_[c.call] = {"offer", offer->stream_id, offer->media};
    if (const auto* answer = std::get_if<op::CreateAnswer>(&c.op)) {
      last_create_[c.call] = {"answer", answer->stream_id, answer->media};
    }
    auto it = sessions_.find(c.call);
    if (it == sessions_.end()) {
      it = sessions_.emplace(c.call, engine_.open_session({c.call, {}, false}, *this)).first;
    }
    media::execute(*it->second, c.op);
    if (std::holds_alternative<protocol::media_op::Close>(c.op)) sessions_.erase(it);
  }

  protocol::Router router_;
  media::FakeMediaEngine engine_;
  std::map<protocol::CallRef, std::unique_ptr<media::MediaSession>> sessions_;
  std::set<protocol::CallRef> known_calls_;
  std::map<protocol::CallRef, std::tuple<std::string, std::string, protocol::MediaWants>> last_create_;
  unsigned descriptions_ = 100;
  std::deque<protocol::MediaEvent> pending_media_;
  protocol::EventReader reader_;
  std::vector<protocol::ReadResult> batch_;
  std::ostream& out_;
  Millis now_ = 0;
};

}  // namespace

int run_replay(std::istream& in, std::ostream& out, std::ostream& err) {
  dom::parser parser;
  std::unique_ptr<Replay> replay;
  std::string text;
  std::size_t line_number = 0;
  while (std::getline(in, text)) {
    ++line_number;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      dom::element line;
      if (auto e = parser.parse(text).get(line))
        throw ScriptError{std::string("not JSON: ") + simdjson::error_message(e)};
      if (!line.is_object()) throw ScriptError{"each line is a JSON object"};
      std::int64_t t = 0;
      if (line["t"].get(t)) throw ScriptError{"every line needs \"t\", a whole number of milliseconds"};
      if (t < 0 || static_cast<std::uint64_t>(t) > kMaxScriptMillis) {
        throw ScriptError{"\"t\" is " + std::to_string(t) + "; script times are 0.." +
                          std::to_string(kMaxScriptMillis) + " ms"};
      }
      if (!replay) {
        dom::element me;
        if (line["me"].get(me)) {
          throw ScriptError{R"(the first line is {"t":0,"me":{"user_id":"@a:x","device_id":"DEV"}})"};
        }
        only_keys(line, {"t", "me", "timeouts", "limits", "gathering", "describe"}, "the first line");
        only_keys(me, {"user_id", "device_id", "capabilities"}, "\"me\"");
        protocol::LocalParty party{std::string(str(me, "user_id")), std::string(str(me, "device_id"))};
        if (dom::element caps; !me["capabilities"].get(caps)) {  // what our invites and answers advertise (T10)
          only_keys(caps, {"transferee", "dtmf"}, "\"capabilities\"");
          party.capabilities = {flag(caps, "transferee"), flag(caps, "dtmf")};
        }
        media::FakeMediaOptions media;
        std::string_view gathering;
        if (!line["gathering"].get(gathering)) {
          if (gathering != "manual" && gathering != "auto") throw ScriptError{R"("gathering" is "auto" or "manual")"};
          media.auto_gathering_complete = gathering == "auto";
        }
        std::string_view describe;
        if (!line["describe"].get(describe)) {
          if (describe != "manual" && describe != "auto") throw ScriptError{R"("describe" is "auto" or "manual")"};
          media.auto_describe = describe == "auto";
        }
        replay = std::make_unique<Replay>(party, read_timeouts(line), media, out);
        replay->advance_to(t);
        continue;
      }
      replay->advance_to(t);
      replay->apply(line);
    } catch (const ScriptError& e) {
      err << "replay: line " << line_number << ": " << e.what << "\n";
      return 2;
    } catch (const simdjson::simdjson_error& e) {
      err << "replay: line " << line_number << ": " << e.what() << "\n";
      return 2;
    }
  }
  if (!replay) {
    err << "replay: the script is empty; it starts with a \"me\" line\n";
    return 2;
  }
  return 0;
}

}  // namespace mxcall::tools
