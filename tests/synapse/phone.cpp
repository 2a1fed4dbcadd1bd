#include "phone.hpp"

#include <gtest/gtest.h>
#include <chrono>

namespace mxcall::testing {

using namespace protocol;

Phone::Phone(matrix::Client& client, Timeouts timeouts)
    : client_(client),
      me_{client.session().user_id, client.session().device_id},
      router_(me_, timeouts),
      engine_(media::FakeMediaOptions{/*auto_connect=*/true, /*auto_gathering_complete=*/true, /*auto_describe=*/true}),
      queue_(client) {}

Phone::~Phone() {
  queue_.stop(true);
  sessions_.clear();
}

Millis Phone::now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool Phone::step(int poll_ms) {
  auto batch = client_.sync(matrix::SyncOptions{std::chrono::milliseconds{poll_ms}, false, nullptr});
  if (!batch) {
    ADD_FAILURE() << me_.user_id << "/" << me_.party_id << ": " << batch.error().message;
    return false;
  }
  for (const auto& room : batch->rooms) {
    if (room.join_rule_public) router_.room_join_rule(RoomJoinRule{room.room_id, *room.join_rule_public}, now());
  }
  std::string events = matrix::batch_timeline_json(*batch);
  std::vector<ReadResult> results;
  if (auto error = reader_.read_events(events, "", results)) {
    ADD_FAILURE() << "the batch did not read: " << error->to_string();
    return false;
  }
  router_.sync_batch(results, now());
  for (const auto& room : batch->rooms) {
    for (const auto& user : room.members_left) router_.member_left(MemberLeft{room.room_id, user}, now());
  }
  (void)client_.commit(*batch);
  drain();
  return true;
}

void Phone::act(const UserAction& action) {
  router_.act(action, now());
  drain();
}

void Phone::drain() {
  for (int round = 0; round < 100; ++round) {
    if (auto deadline = router_.next_deadline(); deadline && *deadline <= now()) router_.advance(now());
    auto outputs = router_.take_outputs();
    for (const auto& output : outputs) {
      if (const auto* send = std::get_if<SendEvent>(&output)) {
        queue_.push(send->room_id, std::string(type_name(send->kind)), send->content);
      } else if (const auto* command = std::get_if<MediaCommand>(&output)) {
        auto it = sessions_.find(command->call.call_id);
        if (it == sessions_.end()) {
          if (std::holds_alternative<media_op::Close>(command->op)) continue;
          it = sessions_.emplace(command->call.call_id, engine_.open_session({command->call, {}, false}, *this)).first;
        }
        media::execute(*it->second, command->op);
        if (std::holds_alternative<media_op::Close>(command->op)) sessions_.erase(it);
      } else if (const auto* update = std::get_if<CallUpdate>(&output)) {
        updates_.push_back(*update);
      }
    }
    if (outputs.empty() && pending_.empty()) break;
    while (!pending_.empty()) {
      MediaEvent event = std::move(pending_.front());
      pending_.pop_front();
      router_.media_event(event, now());
    }
  }
}

std::optional<CallState> Phone::state(const std::string& call_id) const {
  std::optional<CallState> last;
  for (const auto& update : updates_) {
    if (update.call.call_id == call_id) last = update.state;
  }
  return last;
}

bool Phone::ever(const std::string& call_id, CallState state) const {
  for (const auto& update : updates_) {
    if (update.call.call_id == call_id && update.state == state) return true;
  }
  return false;
}

std::string Phone::end_reason(const std::string& call_id) const {
  for (const auto& update : updates_) {
    if (update.call.call_id == call_id && update.state == CallState::ended) return update.reason;
  }
  return {};
}

std::vector<std::string> Phone::rang() const {
  std::vector<std::string> ids;
  for (const auto& update : updates_) {
    if (update.state == CallState::ringing || update.state == CallState::ringing_silent)
      ids.push_back(update.call.call_id);
  }
  return ids;
}

}  // namespace mxcall::testing
