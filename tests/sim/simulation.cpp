#include "simulation.hpp"

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <queue>
#include <random>
#include <set>
#include <sstream>

#include "mxcall/media/fake_media_engine.hpp"
#include "mxcall/protocol/event_reader.hpp"
#include "mxcall/protocol/router.hpp"

namespace mxcall::sim {
namespace {

using namespace protocol;
using nlohmann::json;

constexpr const char* kRoom = "!room:sim";
constexpr Millis kActivePhase = 150000;  // random behaviour stops here; then every call is brought to an end
constexpr Millis kQuiesce = 1200000;     // long enough for every lifetime and timeout to run out

struct ServerEvent {
  std::string event_id, sender, type, call_id, content;
  Millis server_ts = 0;
};

struct CallRecord {
  bool placed = false;     // this device placed the call
  bool acted = false;      // the user answered, rejected or hung up here
  bool connected = false;  // reached `connected` at least once
  bool ended = false;
  std::string end_reason;
  std::optional<std::string> sent_end;  // the reason of the hangup this device sent, or "reject"
  bool hangup_scheduled = false;
  bool answered = false;  // the user answered here
  Millis ended_at = -1;
  Millis select_seen_at = -1;  // when a select_answer for this call first reached this device
};

struct Device;

struct PendingConnect {
  std::string call_id;
  Device* a;
  Device* b;
};

struct Device final : media::MediaEventSink {
  Device(std::string u, std::string d, Timeouts t, bool is_bystander)
      : user(std::move(u)),
        device_id(std::move(d)),
        bystander(is_bystander),
        router(LocalParty{user, device_id}, t),
        engine(media::FakeMediaOptions{false, true}) {}

  void on_media_event(MediaEvent e) override {
    if (auto* d = std::get_if<media_event::LocalDescription>(&e.event)) local_sdp[e.call.call_id] = d->sdp;
    pending.push_back(std::move(e));
  }

  std::string user, device_id;
  bool bystander;
  Router router;
  media::FakeMediaEngine engine;
  std::map<std::string, std::unique_ptr<media::MediaSession>> sessions;  // by call id (one room)
  std::map<std::string, std::string> local_sdp, remote_sdp;
  std::map<std::string, CallRecord> calls;
  std::set<std::string> linked;  // call ids whose media was connected to a peer already
  std::deque<MediaEvent> pending;
  std::size_t sync_pos = 0;
  std::vector<std::size_t> last_batch;
  EventReader reader;
  std::vector<ReadResult> results;
};

class Simulation {
 public:
  explicit Simulation(std::uint32_t seed) : rng_(seed) { report_.seed = seed; }

  SimReport run();

 private:
  Millis rand_between(Millis lo, Millis hi) {
    return lo + static_cast<Millis>(rng_() % static_cast<std::uint32_t>(hi - lo + 1));
  }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

  void at(Millis t, std::function<void()> f) { agenda_.push(Item{t, seq_++, std::move(f)}); }
  void log(const std::string& line) { log_ << "t=" << now_ << " " << line << "\n"; }
  void violation(const std::string& what) { report_.violations.push_back("t=" + std::to_string(now_) + ": " + what); }

  // Devices poll every 30-400 ms; now and then one is offline for up to 70 s and then gets one large batch, in
  // which invites may be stale or already over (rules 18-21).
  void schedule_sync(Device& d) {
    Millis gap = chance(0.01) ? rand_between(5000, 70000) : rand_between(30, 400);
    at(now_ + gap, [this, &d] { sync(d); });
  }
  void sync(Device& d);
  void drain(Device& d);
  void handle(Device& d, const Output& o);
  void on_send(Device& d, const SendEvent& s);
  void on_update(Device& d, const CallUpdate& u);
  void on_media_command(Device& d, const MediaCommand& c);
  void check_links(const std::string& call_id);
  void act(Device& d, UserAction a, const std::string& call_id);
  void schedule_timer(Device& d);
  void check_invariants();

  struct Item {
    Millis t;
    std::uint64_t seq;
    std::function<void()> f;
    bool operator>(const Item& o) const { return t != o.t ? t > o.t : seq > o.seq; }
  };

  std::mt19937 rng_;
  SimReport report_;
  std::ostringstream log_;
  std::priority_queue<Item, std::vector<Item>, std::greater<>> agenda_;
  std::uint64_t seq_ = 0;
  Millis now_ = 0;
  std::vector<std::unique_ptr<Device>> devices_;
  std::vector<ServerEvent> timeline_;
  std::map<std::string, std::vector<std::string>> selections_;  // call id -> selected party ids sent
  std::map<std::string, Device*> caller_of_;
  std::map<std::string, Device*> device_by_party_;
  std::set<std::string> glare_callers_;             // devices (ids) that placed a call into a glare
  std::map<std::string, std::string> called_user_;  // device id -> the user its placed call is for
  int event_counter_ = 0;
};

void Simulation::sync(Device& d) {
  if (d.sync_pos < timeline_.size()) {
    std::size_t end = d.sync_pos + static_cast<std::size_t>(rand_between(1, 6));
    if (chance(0.5)) end = timeline_.size();
    end = std::min(end, timeline_.size());
    std::vector<std::size_t> batch;
    if (!d.last_batch.empty() && chance(0.2)) {  // duplicate delivery, as after a lost /sync response
      batch.push_back(d.last_batch[rng_() % d.last_batch.size()]);
      ++report_.duplicates_delivered;
    }
    std::vector<std::size_t> fresh;
    for (std::size_t i = d.sync_pos; i < end; ++i) fresh.push_back(i);
    batch.insert(batch.end(), fresh.begin(), fresh.end());
    d.sync_pos = end;
    if (!batch.empty()) {
      json events = json::array();
      for (std::size_t i : batch) {
        const ServerEvent& e = timeline_[i];
        if (e.type == "m.call.select_answer" && d.calls[e.call_id].select_seen_at < 0) {
          d.calls[e.call_id].select_seen_at = now_;
        }
        events.push_back({{"content", json::parse(e.content)},
                          {"origin_server_ts", e.server_ts},
                          {"sender", e.sender},
                          {"type", e.type},
                          {"unsigned", {{"age", now_ - e.server_ts}}},
                          {"event_id", e.event_id}});
      }
      d.results.clear();
      auto error = d.reader.read_events(events.dump(), kRoom, d.results);
      if (error) violation("the simulator's own batch did not read: " + error->to_string());
      report_.events_delivered += static_cast<int>(d.results.size());
      d.router.sync_batch(d.results, now_);
      d.last_batch = std::move(fresh);
      drain(d);
    }
  }
  schedule_sync(d);
}

void Simulation::drain(Device& d) {
  for (int rounds = 0; rounds < 1000; ++rounds) {
    auto outputs = d.router.take_outputs();
    for (const auto& o : outputs) handle(d, o);
    if (d.pending.empty() && outputs.empty()) break;
    while (!d.pending.empty()) {
      MediaEvent e = std::move(d.pending.front());
      d.pending.pop_front();
      d.router.media_event(e, now_);
    }
  }
  schedule_timer(d);
}

void Simulation::schedule_timer(Device& d) {
  if (auto deadline = d.router.next_deadline()) {
    at(std::max(*deadline, now_), [this, &d] {
      d.router.advance(now_);
      drain(d);
    });
  }
}

void Simulation::handle(Device& d, const Output& o) {
  if (const auto* s = std::get_if<SendEvent>(&o)) return on_send(d, *s);
  if (const auto* u = std::get_if<CallUpdate>(&o)) return on_update(d, *u);
  if (const auto* c = std::get_if<MediaCommand>(&o)) return on_media_command(d, *c);
  if (const auto* i = std::get_if<Ignored>(&o)) log(d.device_id + " ignored " + i->event_id + ": " + i->why);
}

void Simulation::on_send(Device& d, const SendEvent& s) {
  json content = json::parse(s.content);
  std::string call_id = content.value("call_id", "");
  std::string type(type_name(s.kind));
  log(d.device_id + " sends " + type + " " + call_id);
  CallRecord& rec = d.calls[call_id];
  if (d.bystander) violation(d.device_id + " (a bystander) sent " + type + " for " + call_id);
  if (rec.ended) violation(d.device_id + " sent " + type + " after " + call_id + " ended");
  bool glare_part = glare_callers_.contains(d.device_id);
  if (!rec.placed && !rec.acted && !glare_part) {
    violation(d.device_id + " sent " + type + " for " + call_id + ", a call it took no part in");
  }
  // No call is answered without the user answering, except by glare with the very user this device called
  // (rule 59-60): a stranger's crossing invite must never be answered with our microphone.
  if (s.kind == EventKind::answer && !rec.answered) {
    auto caller = caller_of_.find(call_id);
    auto called = called_user_.find(d.device_id);
    bool glare_with_called =
        caller != caller_of_.end() && called != called_user_.end() && caller->second->user == called->second;
    if (!glare_with_called) {
      violation(d.device_id + " answered " + call_id + " with no user action and no glare with the user it called");
    }
  }
  if (s.kind == EventKind::select_answer) selections_[call_id].push_back(content.value("selected_party_id", ""));
  if (s.kind == EventKind::hangup) rec.sent_end = content.value("reason", "");
  if (s.kind == EventKind::reject) rec.sent_end = "reject";
  ServerEvent event{"", d.user, type, call_id, s.content, 0};
  at(now_ + rand_between(20, 600), [this, event]() mutable {
    event.event_id = "$ev" + std::to_string(++event_counter_);
    event.server_ts = now_;
    timeline_.push_back(std::move(event));
  });
}

void Simulation::on_update(Device& d, const CallUpdate& u) {
  const std::string& call_id = u.call.call_id;
  log(d.device_id + " " + call_id + " -> " + std::string(to_string(u.state)) +
      (u.reason.empty() ? "" : " (" + u.reason + ")"));
  CallRecord& rec = d.calls[call_id];
  switch (u.state) {
    case CallState::ringing:
    case CallState::ringing_silent: {
      if (d.bystander) violation(d.device_id + " (a bystander) rang for " + call_id);
      double roll = std::uniform_real_distribution<double>(0, 1)(rng_);
      Millis delay = rand_between(300, 15000);
      if (roll < 0.55) {
        at(now_ + delay, [this, &d, call_id] { act(d, action::Answer{{kRoom, call_id}, chance(0.3)}, call_id); });
      } else if (roll < 0.75) {
        at(now_ + delay, [this, &d, call_id] { act(d, action::Reject{{kRoom, call_id}}, call_id); });
      }
      break;
    }
    case CallState::invite_sent:
      if (chance(0.15)) {
        at(now_ + rand_between(1000, 40000), [this, &d, call_id] {
          act(d, action::Hangup{{kRoom, call_id}}, call_id);
        });
      }
      break;
    case CallState::connected: {
      rec.connected = true;
      if (rec.placed) ++report_.calls_connected;
      if (rec.hangup_scheduled) break;
      rec.hangup_scheduled = true;
      Millis when = now_ >= kActivePhase ? now_ + 1000 : now_ + rand_between(1000, 30000);
      at(when, [this, &d, call_id] { act(d, action::Hangup{{kRoom, call_id}}, call_id); });
      if (now_ < kActivePhase && chance(0.3)) {
        Millis hold_at = now_ + rand_between(200, 5000);
        at(hold_at, [this, &d, call_id] { act(d, action::Hold{{kRoom, call_id}}, call_id); });
        at(hold_at + rand_between(100, 4000), [this, &d, call_id] {
          act(d, action::Resume{{kRoom, call_id}}, call_id);
        });
      }
      if (now_ < kActivePhase && chance(0.3)) {
        at(now_ + rand_between(100, 5000), [this, &d, call_id] {
          act(d, action::Mute{{kRoom, call_id}, true, false}, call_id);
        });
      }
      break;
    }
    case CallState::ended:
      rec.ended = true;
      rec.ended_at = now_;
      rec.end_reason = u.reason;
      break;
    default: break;
  }
}

void Simulation::on_media_command(Device& d, const MediaCommand& c) {
  const std::string& call_id = c.call.call_id;
  auto it = d.sessions.find(call_id);
  if (it == d.sessions.end()) {
    if (std::holds_alternative<media_op::Close>(c.op)) return;
    it = d.sessions.emplace(call_id, d.engine.open_session({c.call, {}, false}, d)).first;
  }
  if (const auto* remote = std::get_if<media_op::SetRemoteDescription>(&c.op)) d.remote_sdp[call_id] = remote->sdp;
  media::execute(*it->second, c.op);
  if (std::holds_alternative<media_op::Close>(c.op)) {
    d.sessions.erase(it);
    d.local_sdp.erase(call_id);
    d.remote_sdp.erase(call_id);
  }
  // The fake engine answers synchronously; its descriptions are recorded, so the network can look for a pair.
  at(now_, [this, call_id] { check_links(call_id); });
}

// Media connects two sessions of the same call that hold each other's descriptions, after a little ICE time.
void Simulation::check_links(const std::string& call_id) {
  for (auto& a : devices_) {
    for (auto& b : devices_) {
      if (a.get() >= b.get() || a->linked.contains(call_id) || b->linked.contains(call_id)) continue;
      auto matches = [&](Device& x, Device& y) {
        return x.sessions.contains(call_id) && x.remote_sdp.contains(call_id) && y.local_sdp.contains(call_id) &&
               x.remote_sdp[call_id] == y.local_sdp[call_id];
      };
      if (!matches(*a, *b) || !matches(*b, *a)) continue;
      a->linked.insert(call_id);
      b->linked.insert(call_id);
      Device* x = a.get();
      Device* y = b.get();
      at(now_ + rand_between(50, 800), [this, x, y, call_id] {
        if (!x->sessions.contains(call_id) || !y->sessions.contains(call_id)) return;
        for (Device* d : {x, y}) {
          d->pending.push_back({{kRoom, call_id}, media_event::IceStateChanged{IceState::connected}});
          drain(*d);
        }
        if (now_ < kActivePhase && chance(0.15)) {  // a network blip, sometimes longer than the restart delay
          Millis blip = now_ + rand_between(500, 10000);
          Millis back = blip + rand_between(100, 40000);
          at(blip, [this, x, y, call_id] {
            for (Device* d : {x, y}) {
              if (!d->sessions.contains(call_id)) continue;
              d->pending.push_back({{kRoom, call_id}, media_event::IceStateChanged{IceState::disconnected}});
              drain(*d);
            }
          });
          at(back, [this, x, y, call_id] {
            if (!x->sessions.contains(call_id) || !y->sessions.contains(call_id)) return;
            for (Device* d : {x, y}) {
              d->pending.push_back({{kRoom, call_id}, media_event::IceStateChanged{IceState::connected}});
              drain(*d);
            }
          });
        }
      });
    }
  }
}

void Simulation::act(Device& d, UserAction a, const std::string& call_id) {
  // Only an action the engine takes makes the device a party; one on a call that already ended is refused.
  auto state = d.router.state_of({kRoom, call_id});
  bool ringing = state == CallState::ringing || state == CallState::ringing_silent;
  bool live = state.has_value();
  if (std::holds_alternative<action::Answer>(a) && ringing) d.calls[call_id].answered = true;
  bool takes_part = std::holds_alternative<action::Answer>(a) || std::holds_alternative<action::Reject>(a)
                        ? ringing
                        : std::holds_alternative<action::Hangup>(a) && live;
  if (takes_part) d.calls[call_id].acted = true;
  d.router.act(a, now_);
  drain(d);
}

void Simulation::check_invariants() {
  for (const auto& [call_id, selected] : selections_) {
    if (selected.size() > 1) violation(call_id + ": " + std::to_string(selected.size()) + " select_answer events sent");
  }
  for (const auto& d : devices_) {
    if (d->router.live_calls() != 0) {
      violation(d->device_id + " still has " + std::to_string(d->router.live_calls()) + " live call(s) at the end");
    }
    for (const auto& [call_id, rec] : d->calls) {
      if ((rec.placed || rec.acted) && !rec.ended && d->router.state_of({kRoom, call_id})) {
        violation(d->device_id + " never ended " + call_id);
      }
    }
  }
  for (const auto& [call_id, caller] : caller_of_) {
    auto sel = selections_.find(call_id);
    if (sel == selections_.end() || sel->second.empty()) continue;
    auto callee_it = device_by_party_.find(sel->second.front());
    if (callee_it == device_by_party_.end()) continue;
    Device& callee = *callee_it->second;
    const CallRecord& a = caller->calls[call_id];
    const CallRecord& b = callee.calls[call_id];
    // Every other device that answered and was still in the call when the select_answer reached it ends silently
    // (rules 37, 46). One that was offline may time out first; that is not a fault.
    for (const auto& d : devices_) {
      if (d.get() == &callee || d.get() == caller) continue;
      auto rec = d->calls.find(call_id);
      if (rec == d->calls.end() || !rec->second.answered) continue;
      if (rec->second.select_seen_at < 0 || rec->second.ended_at < rec->second.select_seen_at) continue;
      if (rec->second.end_reason != "answered_elsewhere" || rec->second.sent_end) {
        violation(call_id + ": " + d->device_id + " answered, was not selected, and ended with \"" +
                  rec->second.end_reason + "\"" +
                  (rec->second.sent_end ? " after sending " + *rec->second.sent_end : ""));
      }
    }
    if (b.sent_end == "reject") continue;  // the caller selected a reject: nothing was set up
    if (a.connected != b.connected) {
      violation(call_id + ": caller connected=" + std::to_string(a.connected) + " but the selected callee " +
                callee.device_id + " connected=" + std::to_string(b.connected));
    }
    if (!a.sent_end && !b.sent_end) violation(call_id + ": neither the caller nor the selected callee ended it");
    if (a.sent_end && !b.sent_end && b.end_reason != *a.sent_end) {
      violation(call_id + ": the caller hung up with " + *a.sent_end + " but the callee ended with " + b.end_reason);
    }
    if (b.sent_end && !a.sent_end && a.end_reason != *b.sent_end) {
      violation(call_id + ": the callee hung up with " + *b.sent_end + " but the caller ended with " + a.end_reason);
    }
  }
}

SimReport Simulation::run() {
  Timeouts t;
  t.invite_lifetime_ms = 60000;
  auto add = [&](const char* user, const char* device, bool bystander) {
    devices_.push_back(std::make_unique<Device>(user, device, t, bystander));
    device_by_party_[device] = devices_.back().get();
    return devices_.back().get();
  };
  Device* alice = add("@alice:sim", "ALICE1", false);
  Device* bob = add("@bob:sim", "BOB1", false);
  int optional_devices = 0;
  if (chance(0.7)) ++optional_devices, add("@bob:sim", "BOB2", false);
  if (optional_devices < 2 && chance(0.5)) ++optional_devices, add("@carol:sim", "CAROL1", true);
  if (optional_devices < 2 && chance(0.3)) ++optional_devices, add("@alice:sim", "ALICE2", false);
  for (auto& d : devices_) schedule_sync(*d);

  Millis start = rand_between(0, 3000);
  std::string call_a = "call-a-" + std::to_string(rng_() % 100000);
  caller_of_[call_a] = alice;
  called_user_[alice->device_id] = "@bob:sim";
  bool glare = chance(0.25);
  // Alice names bob as the invitee, or (a direct chat: no bystander) as the DM peer, or, outside a glare run,
  // neither. An invite without an invitee is for every member, so with a bystander in the room it always has one.
  bool bystander_present = false;
  for (const auto& d : devices_) bystander_present |= d->bystander;
  double naming = std::uniform_real_distribution<double>(0, 1)(rng_);
  std::optional<std::string> invitee, dm_peer;
  if (naming < 0.6 || bystander_present) {
    invitee = "@bob:sim";
  } else if (naming < 0.8 || glare) {
    dm_peer = "@bob:sim";
  }
  at(start, [this, alice, call_a, invitee, dm_peer] {
    alice->calls[call_a].placed = true;
    ++report_.calls_placed;
    act(*alice, action::Call{kRoom, call_a, invitee, chance(0.3), dm_peer}, call_a);
  });
  if (chance(0.3)) {
    // A stranger (not a device here: its events are written by hand) invites alice across her call, with a call id
    // that sorts first, so that a glare rule applied to it would answer it.
    ++report_.stranger_invites;
    std::string call_m = "call-0-" + std::to_string(rng_() % 100000);
    bool named = bystander_present || chance(0.5);
    at(start + rand_between(0, 600), [this, call_m, named] {
      json content = {{"call_id", call_m},
                      {"party_id", "MAL1"},
                      {"version", "1"},
                      {"lifetime", 60000},
                      {"offer", {{"type", "offer"}, {"sdp", "v=0 offer from @mallory:sim"}}}};
      if (named) content["invitee"] = "@alice:sim";
      timeline_.push_back(ServerEvent{"$ev" + std::to_string(++event_counter_), "@mallory:sim", "m.call.invite", call_m,
                                      content.dump(), now_});
    });
  }
  if (glare) {  // glare: bob calls alice at about the same moment
    ++report_.glare_runs;
    std::string call_b = "call-b-" + std::to_string(rng_() % 100000);
    caller_of_[call_b] = bob;
    glare_callers_.insert(alice->device_id);
    glare_callers_.insert(bob->device_id);
    called_user_[bob->device_id] = "@alice:sim";
    at(start + rand_between(-300, 300) + 300, [this, bob, call_b] {
      bob->calls[call_b].placed = true;
      ++report_.calls_placed;
      act(*bob, action::Call{kRoom, call_b, "@alice:sim", false}, call_b);
    });
  }

  while (!agenda_.empty()) {
    Item item = agenda_.top();
    if (item.t > kActivePhase + kQuiesce) break;
    agenda_.pop();
    now_ = std::max(now_, item.t);
    item.f();
  }
  check_invariants();
  report_.log = log_.str();
  return report_;
}

}  // namespace

SimReport run_simulation(std::uint32_t seed) { return Simulation(seed).run(); }

}  // namespace mxcall::sim
