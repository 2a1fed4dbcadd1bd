// The router: every call of one local party, the sync-batch rules (ringing after the batch, own echo, invitee),
// glare, events that arrive before their invite, remembered ended calls, and the timers of all calls.
#include "mxcall/protocol/router.hpp"

#include <algorithm>
#include <deque>
#include <memory>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "call.hpp"
#include "call_table.hpp"
#include "keyed_hash.hpp"
#include "opaque_id.hpp"
#include "owned_event.hpp"
#include "router_state.hpp"
#include "transfers.hpp"

namespace mxcall::protocol {

using engine::Call;
using engine::kNever;
using engine::OwnedEvent;

using namespace routing;  // the bookkeeping types of router_state.hpp

struct Router::Impl final : engine::CallHost {
  Impl(LocalParty party, Timeouts t, engine::HashKey key)
      : me_(std::move(party)),
        timeouts_(std::move(t)),
        limits_(timeouts_.limits),
        calls_(key),
        remembered_(0, KeyHash{key}),
        early_(0, KeyHash{key}),
        outgoing_by_room_(0, engine::KeyedStringHash{key}),
        calls_per_room_(0, engine::KeyedStringHash{key}),
        calls_per_sender_(0, engine::KeyedStringHash{key}) {}

  const LocalParty& me() const override { return me_; }
  const Timeouts& timeouts() const override { return timeouts_; }
  void output(Output o) override { outputs_.push_back(std::move(o)); }
  std::vector<Output>& outputs() override { return outputs_; }

  LocalParty me_;
  Timeouts timeouts_;
  const Limits& limits_;
  std::vector<Output> outputs_;
  engine::CallTable calls_;
  CallMap<Remembered> remembered_;
  // Oldest first. `until` is not strictly increasing (it depends on each call's lifetime), so an id may be
  // remembered a little longer than it must be, never shorter.
  // Entries point at remembered_'s elements (stable across rehashing), so no id is copied twice.
  std::deque<std::pair<Millis, std::pair<const CallRef, Remembered>*>> forget_;
  CallMap<EarlyEvents> early_;
  std::deque<CallRef> early_order_;  // oldest first, for eviction
  std::unordered_set<std::string> public_rooms_;
  // Our own calls that may still meet glare (create_offer or invite_sent), by room: glare is per room (rule 58).
  std::unordered_map<std::string, std::vector<std::weak_ptr<Call>>, engine::KeyedStringHash, std::equal_to<>>
      outgoing_by_room_;
  Counts calls_per_room_, calls_per_sender_;
  std::size_t early_bytes_ = 0;  // held in early_, all calls
  std::uint64_t calls_created_ = 0;
  // A min-heap on Wakeup::at (std::push_heap/pop_heap with greater<>), kept by hand so entries can be moved out.
  // Every live call's current deadline has an entry (schedule() pushes one whenever it changes). Between the
  // router's public calls the top entry is never stale, so next_deadline() only reads it.
  std::vector<Wakeup> wakeups_;

  void push_wakeup(Millis at, const std::shared_ptr<Call>& call) {
    wakeups_.push_back(Wakeup{at, call});
    std::push_heap(wakeups_.begin(), wakeups_.end(), std::greater<>{});
  }
  Wakeup pop_wakeup() {
    std::pop_heap(wakeups_.begin(), wakeups_.end(), std::greater<>{});
    Wakeup w = std::move(wakeups_.back());
    wakeups_.pop_back();
    return w;
  }
  // Called at the end of every public call that can change a deadline: older entries for a call, and entries of
  // calls that ended, are dropped until the top is current.
  void drop_stale_wakeups() {
    while (!wakeups_.empty()) {
      const Wakeup& top = wakeups_.front();
      std::shared_ptr<Call> call = top.call.lock();
      if (call && !call->ended() && call->next_deadline() == top.at) return;
      pop_wakeup();
    }
  }

  // After anything touched a call: reschedule its timer, or retire it when it ended.
  void settle(const KeyView& key, Millis now) {
    if (auto* slot = calls_.find(key.room_id, key.call_id)) settle(slot, now);
  }

  // Without a lookup for a call that goes on, which is nearly always.
  void settle(const std::shared_ptr<Call>& call, Millis now) {
    if (call->ended()) return settle(KeyView{call->ref().room_id, call->ref().call_id}, now);
    schedule(call);
  }

  void schedule(const std::shared_ptr<Call>& call) {
    Millis next = call->next_deadline();
    if (next != kNever && next != call->scheduled) push_wakeup(next, call);
    call->scheduled = next;
  }

  void settle(engine::CallTable::Slot* slot, Millis now) {
    if (slot->call->ended()) {
      Millis memory =
          static_cast<Millis>(std::max<std::uint64_t>(timeouts_.ended_call_memory_ms, slot->call->lifetime_ms()));
      CallRef ref = slot->call->ref();
      count(*slot->call, -1);
      calls_.erase(slot);
      remember(std::move(ref), now + memory, "the call has ended");
      return;
    }
    schedule(slot->call);
  }

  void remember(CallRef ref, Millis until, std::string_view why) {
    // Over the cap, the oldest ids are forgotten early: a late event of theirs then waits for an invite that never
    // comes and ages out of the early-event buffer, which is bounded too.
    while (remembered_.size() >= limits_.max_remembered_call_ids && !forget_.empty()) {
      auto* oldest = forget_.front().second;
      forget_.pop_front();
      if (--oldest->second.queued == 0) {
        output(Ignored{oldest->first,
                       {},
                       "ended call ids are at their cap (Limits::max_remembered_call_ids); the oldest is forgotten"});
        remembered_.erase(oldest->first);
      }
    }
    auto& entry = *remembered_.try_emplace(std::move(ref)).first;
    entry.second.until = until;
    entry.second.why = why;
    ++entry.second.queued;
    forget_.emplace_back(until, &entry);
  }

  Call* find(const KeyView& key) {
    auto* slot = calls_.find(key.room_id, key.call_id);
    return slot == nullptr ? nullptr : slot->call.get();
  }

  void ignore(const RoomEvent& event, std::string why) {
    const auto& common = common_of(event.content);
    output(Ignored{CallRef{std::string(event.room_id), std::string(common.call_id)}, std::string(event.event_id),
                   std::move(why)});
  }

  // One call event, from a batch or replayed from the early-event buffer.
  void route(const RoomEvent& event, Millis now, std::vector<KeyView>& new_incoming) {
    const CallCommon& common = common_of(event.content);
    if (event.sender == me_.user_id && common.party_id && *common.party_id == me_.party_id) {
      return ignore(event, "our own echo (rule 12)");
    }
    KeyView key{event.room_id, common.call_id};
    if (auto* slot = calls_.find(key.room_id, key.call_id)) {
      slot->call->on_event(event, now);
      return settle(slot, now);  // the slot stays put: nothing is inserted or erased meanwhile
    }
    if (auto it = remembered_.find(key); it != remembered_.end()) return ignore(event, std::string(it->second.why));
    if (const auto* invite = std::get_if<Invite>(&event.content)) return on_invite(event, *invite, now, new_incoming);
    hold_early(event, now);
  }

  void on_invite(const RoomEvent& event, const Invite& invite, Millis now, std::vector<KeyView>& new_incoming) {
    KeyView key{event.room_id, invite.common.call_id};  // the batch outlives this call
    auto refuse = [&](std::string_view remembered_why, std::string why) {
      std::uint64_t lifetime = std::min(invite.lifetime_ms, timeouts_.max_peer_lifetime_ms);
      Millis memory = static_cast<Millis>(std::max<std::uint64_t>(timeouts_.ended_call_memory_ms, lifetime));
      CallRef ref{std::string(key.room_id), std::string(key.call_id)};
      drop_early(ref);
      remember(std::move(ref), now + memory, remembered_why);
      ignore(event, std::move(why));
    };
    if (invite.invitee && *invite.invitee != me_.user_id) {
      return refuse("the call is between other users (rule 24)", "the invite is for another user (rule 24)");
    }
    if (auto over = over_quota(event.room_id, event.sender))
      return refuse("the call was refused: too many calls", *over);
    Call* glare_with = outgoing_call_to(event.room_id, event.sender);
    std::shared_ptr<Call> call_owner = std::make_shared<Call>(*this, event, invite, now);
    Call* call = call_owner.get();
    add(call_owner);
    const CallRef& ref = call->ref();
    new_incoming.push_back(key);
    // Events that came before their invite (history order, or a slow server) now find their call.
    if (auto early = early_.empty() ? early_.end() : early_.find(ref); early != early_.end()) {
      EarlyEvents held = std::move(early->second);
      early_bytes_ -= held.bytes;
      early_.erase(early);
      for (const auto& e : held.events) call->on_event(e.event(), now);
    }
    if (glare_with != nullptr && !call->ended()) {
      resolve_glare(*glare_with, *call, now);
    }
    if (!transfers_.empty() && !call->ended()) {
      if (auto claimed = transfers_.claim(call_owner, event.sender)) {
        auto_answer_[ref.room_id + '\x1f' + ref.call_id] = claimed->video;  // the replacement we await (rule T7)
        output(CallFeature{
            TransferUpdate{claimed->original, claimed->replacement_id, TransferStatus::answering, ref, {}}});
      }
    }
    settle(call_owner, now);
  }

  // Our own outgoing call in `room` that an invite from `user` collides with (rule 58: same room only).
  Call* outgoing_call_to(std::string_view room, std::string_view user) {
    if (user == me_.user_id) return nullptr;  // our other devices calling is not glare
    auto by_room = outgoing_by_room_.find(room);
    if (by_room == outgoing_by_room_.end()) return nullptr;
    auto& calls = by_room->second;
    Call* found = nullptr;
    // Calls past invite_sent can no longer meet glare: they leave the index here.
    std::erase_if(calls, [&](const std::weak_ptr<Call>& weak) {
      std::shared_ptr<Call> c = weak.lock();
      if (!c || (c->state() != CallState::create_offer && c->state() != CallState::invite_sent)) return true;
      // Only the user we call (our invitee, or the other member of a direct chat) can cross our invite: an invite
      // from anyone else is a call of its own, and glare would answer it with our microphone.
      auto peer = c->peer_user();
      if (found == nullptr && peer && *peer == user) found = c.get();
      return false;
    });
    if (calls.empty()) outgoing_by_room_.erase(by_room);
    return found;
  }

  void resolve_glare(Call& ours, Call& theirs, Millis now) {
    CallRef ours_ref = ours.ref();
    if (ours.state() == CallState::create_offer || theirs.ref().call_id < ours.ref().call_id) {
      // Rule 59 (ours not sent yet) or rule 60 (theirs has the lesser id): ours gives way, theirs is answered.
      ours.replace(true);
      auto_answer_[theirs.ref().room_id + '\x1f' + theirs.ref().call_id] = false;
    } else {
      theirs.replace(true);  // rule 60: ours has the lesser id and survives
    }
    settle(KeyView{ours_ref.room_id, ours_ref.call_id}, now);
  }

  void hold_early(const RoomEvent& event, Millis now) {
    CallRef ref{std::string(event.room_id), std::string(common_of(event.content).call_id)};
    OwnedEvent owned(event);
    if (owned.bytes() > limits_.early_bytes_per_call) {
      return ignore(event, "too large to hold until its invite arrives (Limits::early_bytes_per_call)");
    }
    // Room for it in all calls' total: the oldest calls' events go first (never the call it belongs to).
    while (early_bytes_ + owned.bytes() > limits_.early_bytes_total && !early_order_.empty() &&
           !(early_order_.front().room_id == ref.room_id && early_order_.front().call_id == ref.call_id)) {
      drop_early(early_order_.front(),
                 "events held before their invite are at their cap "
                 "(Limits::early_bytes_total); the oldest call's were dropped");
      early_order_.pop_front();
    }
    auto it = early_.find(ref);
    if (it == early_.end()) {
      while (early_.size() >= timeouts_.early_event_calls && !early_order_.empty()) {
        drop_early(early_order_.front(), "too many unknown calls held; the oldest was dropped");
        early_order_.pop_front();
      }
      it = early_.emplace(ref, EarlyEvents{now, {}}).first;
      early_order_.push_back(ref);
    }
    if (it->second.events.size() >= timeouts_.early_events_per_call) {
      return ignore(event, "too many events held for a call whose invite has not arrived");
    }
    if (it->second.bytes + owned.bytes() > limits_.early_bytes_per_call ||
        early_bytes_ + owned.bytes() > limits_.early_bytes_total) {
      return ignore(event, "too many bytes held for a call whose invite has not arrived (Limits::early_bytes_*)");
    }
    it->second.bytes += owned.bytes();
    early_bytes_ += owned.bytes();
    it->second.events.push_back(std::move(owned));
  }

  void drop_early(const CallRef& ref, std::string_view why = {}) {
    auto it = early_.find(ref);
    if (it == early_.end()) return;
    if (!why.empty()) {
      for (const auto& e : it->second.events) ignore(e.event(), std::string(why));
    }
    early_bytes_ -= it->second.bytes;
    early_.erase(it);
  }

  // Why a new call in `room` (incoming from `sender`, when set) would go over a cap, or nullopt.
  std::optional<std::string> over_quota(std::string_view room, std::optional<std::string_view> sender) const {
    auto count_of = [](const Counts& counts, std::string_view key) -> std::size_t {
      auto it = counts.find(key);
      return it == counts.end() ? 0 : it->second;
    };
    if (calls_.size() >= limits_.max_live_calls) {
      return "too many live calls (Limits::max_live_calls = " + std::to_string(limits_.max_live_calls) + ")";
    }
    if (count_of(calls_per_room_, room) >= limits_.max_live_calls_per_room) {
      return "too many live calls in this room (Limits::max_live_calls_per_room = " +
             std::to_string(limits_.max_live_calls_per_room) + ")";
    }
    if (sender && count_of(calls_per_sender_, *sender) >= limits_.max_live_calls_per_sender) {
      return "too many live calls from this sender (Limits::max_live_calls_per_sender = " +
             std::to_string(limits_.max_live_calls_per_sender) + ")";
    }
    return std::nullopt;
  }

  void add(const std::shared_ptr<Call>& call) {
    call->created = calls_created_++;
    calls_.insert(call);
    count(*call, +1);
  }

  // Incoming calls count for their sender (a callee's peer is the inviter for good); every call for its room.
  void count(const Call& call, int delta) {
    auto bump = [delta](Counts& counts, std::string_view key) {
      auto it = counts.find(key);
      if (it == counts.end()) it = counts.emplace(std::string(key), 0).first;
      it->second = static_cast<std::uint32_t>(static_cast<int>(it->second) + delta);
      if (it->second == 0) counts.erase(it);
    };
    bump(calls_per_room_, call.ref().room_id);
    if (call.role() == Call::Role::callee) {
      if (auto sender = call.peer_user()) bump(calls_per_sender_, *sender);
    }
  }

  void after_batch(const std::vector<KeyView>& new_incoming, Millis now) {
    for (const KeyView& key : new_incoming) {
      auto* slot = calls_.find(key.room_id, key.call_id);
      if (slot == nullptr || slot->call->ended()) continue;
      Call* call = slot->call.get();
      call->ring(!public_rooms_.empty() && public_rooms_.contains(std::string(key.room_id)), now);
      if (!auto_answer_.empty()) {
        auto glare = auto_answer_.find(std::string(key.room_id) + '\x1f' + std::string(key.call_id));
        if (glare != auto_answer_.end()) {
          bool video = glare->second;
          auto_answer_.erase(glare);
          call->answer_automatically(now, video);
        }
      }
      settle(slot, now);
    }
    auto_answer_.clear();
  }

  void forget_old(Millis now) {
    while (!forget_.empty() && forget_.front().first <= now) {
      auto* entry = forget_.front().second;
      forget_.pop_front();
      if (--entry->second.queued == 0 && entry->second.until <= now) remembered_.erase(entry->first);
    }
    Millis horizon = now - static_cast<Millis>(timeouts_.ended_call_memory_ms);
    while (!early_order_.empty()) {
      auto it = early_.find(early_order_.front());
      if (it != early_.end() && it->second.first_seen > horizon) break;
      if (it != early_.end()) drop_early(it->first, "its invite never arrived");
      early_order_.pop_front();
    }
  }

  // Incoming calls to answer once they ring: glare (rule 59) and awaited transfer replacements (rule T7), with video.
  std::unordered_map<std::string, bool> auto_answer_;
  engine::TransferLinks transfers_;

  // A call we place: for the user, or as the replacement of a transfer (rule T7). The refusal says why not.
  std::variant<std::shared_ptr<Call>, std::string> place(const action::Call& place, Millis now) {
    if (place.room_id.empty()) return std::string("a call needs a room");
    if (!is_opaque_id(place.call_id)) return std::string("call ids are 1-255 characters of [0-9A-Za-z._~-] (rule 8)");
    if (place.invitee && !is_user_id(*place.invitee))
      return std::string("the invitee must be a user id (@user:server)");
    if (place.dm_peer && !is_user_id(*place.dm_peer))
      return std::string("the DM peer must be a user id (@user:server)");
    if (calls_.find(place.room_id, place.call_id) != nullptr ||
        remembered_.contains(CallRef{place.room_id, place.call_id})) {
      return std::string("that call id was already used here");
    }
    if (auto over = over_quota(place.room_id, std::nullopt)) return *over + "; hang up a call first";
    auto call = std::make_shared<Call>(*this, place, now);
    add(call);
    outgoing_by_room_[place.room_id].push_back(call);
    settle(call, now);
    return call;
  }

  // The user accepted a transfer the peer asked for (rule T7): place the replacement or wait for it.
  void accept_transfer(const action::AnswerTransfer& accept, Millis now) {
    auto* slot = calls_.find(accept.call.room_id, accept.call.call_id);
    if (slot == nullptr) return output(ActionRefused{accept.call, "there is no live call with that id in that room"});
    std::shared_ptr<Call> original = slot->call;
    const auto& request = original->received_transfer();
    if (!request || request->replacement_id != accept.replacement_id) {
      return output(ActionRefused{accept.call, "there is no transfer request with that replacement id on this call"});
    }
    if (request->accepted) return output(ActionRefused{accept.call, "the transfer was already accepted"});
    original->transfer_accepted(now);
    if (!request->we_place_call) {
      transfers_.await(original, request->new_call_id, *request->target.id, request->target_room, accept.video);
      output(CallFeature{TransferUpdate{accept.call, request->replacement_id, TransferStatus::awaiting, {}, {}}});
      return settle(original, now);
    }
    std::string room = accept.room_id.empty() ? request->target_room.value_or("") : accept.room_id;
    auto placed = place(action::Call{room, request->new_call_id, request->target.id, accept.video}, now);
    if (auto* why = std::get_if<std::string>(&placed)) {
      output(ActionRefused{accept.call, "the replacement call could not be placed: " + *why});
      original->transfer_failed("failed_call_invite", std::nullopt);
      return settle(original, now);
    }
    auto& replacement = std::get<std::shared_ptr<Call>>(placed);
    output(CallFeature{
        TransferUpdate{accept.call, request->replacement_id, TransferStatus::placing, replacement->ref(), {}}});
    transfers_.placed(original, replacement);
  }

  // After every input: transfers whose replacement connected or failed move on (rule T8).
  void check_transfers(Millis now) {
    if (transfers_.empty()) return;
    for (const auto& original : transfers_.check()) settle(original, now);
  }
};

Router::Router(LocalParty me, Timeouts timeouts)
    : impl_(std::make_unique<Impl>(std::move(me), timeouts, hash_key_of(timeouts.limits))) {}
Router::~Router() = default;
Router::Router(Router&&) noexcept = default;
Router& Router::operator=(Router&&) noexcept = default;

const LocalParty& Router::me() const { return impl_->me_; }

void Router::sync_batch(std::span<const ReadResult> events, Millis now) {
  advance(now);
  std::vector<KeyView> new_incoming;
  for (const ReadResult& r : events) {
    if (r.status == ReadStatus::call_event) {
      impl_->route(r.event, now, new_incoming);
    } else if (r.status == ReadStatus::invalid && kind_of_type(r.type)) {
      impl_->output(
          Ignored{{}, std::string(r.event.event_id), "malformed " + std::string(r.type) + ": " + r.error.to_string()});
    }
  }
  impl_->after_batch(new_incoming, now);  // rule 21: ring only once the whole batch is known
  impl_->check_transfers(now);
  impl_->drop_stale_wakeups();
}

void Router::act(const UserAction& action, Millis now) {
  advance(now);
  Impl& d = *impl_;
  if (const auto* place = std::get_if<action::Call>(&action)) {
    auto placed = d.place(*place, now);
    if (auto* why = std::get_if<std::string>(&placed)) {
      d.output(ActionRefused{CallRef{place->room_id, place->call_id}, std::move(*why)});
    }
    return d.drop_stale_wakeups();
  }
  if (const auto* answer = std::get_if<action::AnswerTransfer>(&action); answer && answer->accept) {
    d.accept_transfer(*answer, now);
    d.check_transfers(now);
    return d.drop_stale_wakeups();
  }
  const CallRef& ref = std::visit(
      [](const auto& a) -> const CallRef& {
        if constexpr (requires { a.call; }) {
          return a.call;
        } else {
          static const CallRef none;
          return none;
        }
      },
      action);
  Call* call = d.find(KeyView{ref.room_id, ref.call_id});
  if (call == nullptr) return d.output(ActionRefused{ref, "there is no live call with that id in that room"});
  call->act(action, now);
  d.settle(KeyView{ref.room_id, ref.call_id}, now);
  d.check_transfers(now);
  d.drop_stale_wakeups();
}

void Router::media_event(const MediaEvent& event, Millis now) {
  advance(now);
  KeyView key{event.call.room_id, event.call.call_id};
  if (Call* call = impl_->find(key)) {
    call->on_media(event.event, now);
    impl_->settle(key, now);
    impl_->check_transfers(now);
    impl_->drop_stale_wakeups();
  }
}

void Router::room_join_rule(const RoomJoinRule& rule, Millis now) {
  advance(now);
  if (rule.is_public) {
    impl_->public_rooms_.insert(rule.room_id);
  } else {
    impl_->public_rooms_.erase(rule.room_id);
  }
}

void Router::member_left(const MemberLeft& left, Millis now) {
  advance(now);
  // The table's order depends on the hash key: the room's calls are visited in creation order, so that outputs do not.
  std::vector<std::shared_ptr<Call>> in_room;
  impl_->calls_.for_each([&](const std::shared_ptr<Call>& call) {
    if (call->ref().room_id == left.room_id) in_room.push_back(call);
  });
  std::sort(in_room.begin(), in_room.end(), [](const auto& a, const auto& b) { return a->created < b->created; });
  for (const auto& call : in_room) {
    call->on_member_left(left.user_id);
    impl_->settle(call, now);
  }
  impl_->check_transfers(now);
  impl_->drop_stale_wakeups();
}

void Router::advance(Millis now) {
  Impl& d = *impl_;
  while (!d.wakeups_.empty() && d.wakeups_.front().at <= now) {
    std::shared_ptr<Call> call = d.pop_wakeup().call.lock();
    if (!call || call->ended()) continue;
    call->scheduled = kNever;
    if (call->next_deadline() <= now) call->on_timer(now);
    d.settle(call, now);
  }
  d.forget_old(now);
  d.check_transfers(now);
  d.drop_stale_wakeups();
}

std::optional<Millis> Router::next_deadline() const {
  if (impl_->wakeups_.empty()) return std::nullopt;
  return impl_->wakeups_.front().at;  // current: every mutating call ends with drop_stale_wakeups()
}

void Router::take_outputs(std::vector<Output>& into) {
  into.clear();
  into.swap(impl_->outputs_);
}

std::vector<Output> Router::take_outputs() {
  // The next round starts with room for as many outputs as this one had, so the vector does not regrow (and move
  // every output again) on each push.
  std::vector<Output> taken = std::move(impl_->outputs_);
  impl_->outputs_ = {};
  impl_->outputs_.reserve(taken.size());
  return taken;
}

std::optional<CallState> Router::state_of(const CallRef& call) const {
  auto* slot = impl_->calls_.find(call.room_id, call.call_id);
  if (slot == nullptr) return std::nullopt;
  return slot->call->state();
}

std::size_t Router::live_calls() const { return impl_->calls_.size(); }

}  // namespace mxcall::protocol
