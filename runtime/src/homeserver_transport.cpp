#include "homeserver_transport.hpp"

#include <algorithm>

#include "mxcall/matrix/sync.hpp"

namespace mxcall::runtime {

HomeserverTransport::HomeserverTransport(Runtime::Impl& loop, std::unique_ptr<matrix::Client> client,
                                         const PhoneConfig& config)
    : loop_(loop),
      client_(std::move(client)),
      join_invites_(config.join_invites),
      join_invites_from_(config.join_invites_from),
      sync_timeout_(config.sync_timeout),
      turn_(*client_) {}

HomeserverTransport::~HomeserverTransport() { stop(); }

void HomeserverTransport::start(TransportCallbacks callbacks) {
  callbacks_ = std::move(callbacks);
  // The phone traces each event as it hands it over; only a send that failed for good comes back from here.
  queue_ = std::make_unique<matrix::SendQueue>(*client_, [this](const matrix::SendOutcome& outcome) {
    if (outcome.event_id) return;
    SignallingTrace trace{SignallingTrace::Direction::sent,
                          outcome.event.room_id,
                          outcome.event.type,
                          {},
                          "not sent: " + outcome.event_id.error().message,
                          std::chrono::system_clock::now()};
    loop_.post([on_sent = callbacks_.on_sent, trace = std::move(trace)] { on_sent(trace); });
  });
  matrix::SyncerOptions options;
  options.poll_timeout = sync_timeout_;
  syncer_ = std::make_unique<matrix::Syncer>(
      *client_, [this](const matrix::SyncBatch& batch) { on_sync_batch(batch); },
      [this](const matrix::Error& error) { loop_.post([on_fatal = callbacks_.on_fatal, error] { on_fatal(error); }); },
      options);
  syncer_->start();
  turn_thread_ = std::thread([this] { run_turn(); });
}

void HomeserverTransport::on_sync_batch(const matrix::SyncBatch& batch) {
  InboundBatch inbound;
  inbound.timeline_json = matrix::batch_timeline_json(batch);
  for (const auto& room : batch.rooms) {
    if (room.join_rule_public) inbound.join_rules.push_back({room.room_id, *room.join_rule_public});
    for (const auto& user : room.members_left) inbound.members_left.push_back({room.room_id, user});
  }
  for (const auto& notice : batch.notices) inbound.notices.push_back(notice.message);
  if (join_invites_) join_invites(batch);
  // Posted, not waited for: the syncer then commits the since token. Waiting for the loop here would deadlock a
  // stop() made from the loop thread, and the router already tolerates a replayed batch (events are deduplicated).
  loop_.post(
      [on_batch = callbacks_.on_batch, inbound = std::move(inbound)]() mutable { on_batch(std::move(inbound)); });
}

void HomeserverTransport::join_invites(const matrix::SyncBatch& batch) {
  // Any user may invite us: a flood of invites gets a bounded number of joins per batch (each a blocking request
  // on this thread); the rest are named in a notice and left for the user.
  constexpr int kMaxJoinsPerBatch = 8;
  int joins = 0;
  for (const auto& room : batch.rooms) {
    if (room.membership != matrix::Membership::invite) continue;
    bool allowed = join_invites_from_.empty() || std::find(join_invites_from_.begin(), join_invites_from_.end(),
                                                           room.inviter) != join_invites_from_.end();
    std::string message;
    if (allowed && joins == kMaxJoinsPerBatch) {
      message = "not joining " + room.room_id + " (invited by " + room.inviter + "): already joined " +
                std::to_string(kMaxJoinsPerBatch) + " rooms from this sync; join it by hand";
    } else if (!allowed) {
      message = "not joining " + room.room_id + ": the invite is from " + room.inviter + ", who is not listed";
    } else if (++joins; auto joined = client_->join(room.room_id)) {
      message = "joined " + room.room_id + " (invited by " + room.inviter + ")";
    } else {
      message = "could not join " + room.room_id + ": " + joined.error().message;
    }
    InboundBatch notice;
    notice.notices.push_back(std::move(message));
    loop_.post([on_batch = callbacks_.on_batch, notice = std::move(notice)]() mutable { on_batch(std::move(notice)); });
  }
}

void HomeserverTransport::run_turn() {
  std::unique_lock lock(turn_mutex_);
  while (!stopping_) {
    lock.unlock();
    turn_.poll();
    lock.lock();
    turn_cv_.wait_until(lock, turn_.next_poll(), [this] { return stopping_; });
  }
}

void HomeserverTransport::send(const std::string& room_id, const std::string& type, std::string content) {
  if (!queue_ || !queue_->push(room_id, type, std::move(content))) {
    SignallingTrace trace{SignallingTrace::Direction::sent, room_id, type, {}, "the send queue is full or stopped",
                          std::chrono::system_clock::now()};
    callbacks_.on_sent(trace);
  }
}

std::vector<media::IceServer> HomeserverTransport::ice_servers() {
  std::vector<media::IceServer> servers;
  if (auto turn = turn_.current(); turn && turn->available()) {
    servers.push_back({turn->uris, turn->username, turn->password});
  }
  return servers;
}

Result<std::string> HomeserverTransport::resolve_target(const std::string& target) {
  if (target.starts_with('!')) return target;
  if (target.starts_with('#')) return client_->join(target);
  if (!target.starts_with('@')) {
    return Error{ErrorCode::bad_request,
                 "'" + target +
                     "' is neither a room id (!room:server), a room alias (#name:server) nor a user id "
                     "(@user:server)"};
  }
  auto existing = client_->find_dm(target);
  if (!existing) return existing.error();
  if (*existing) return **existing;
  // As Element does: the new direct chat is encrypted when we can encrypt and the peer has a device with keys (one
  // whose clients do no encryption could not read the invite). A failed key query fails the call rather than
  // making a plain chat that should have been encrypted.
  bool encrypted = false;
  if (client_->encrypts()) {
    auto devices = client_->devices_with_keys(target);
    if (!devices) return devices.error();
    encrypted = !devices->empty();
  }
  auto created = client_->create_dm(target, encrypted);
  if (!created) return created.error();
  if (auto recorded = client_->add_direct(target, *created); !recorded) return recorded.error();
  return *created;
}

std::optional<std::string> HomeserverTransport::direct_peer(const std::string& room_id) {
  auto peer = client_->direct_peer(room_id);
  return peer ? *peer : std::nullopt;
}

bool HomeserverTransport::wait_sent(std::chrono::milliseconds timeout) { return !queue_ || queue_->wait_idle(timeout); }

void HomeserverTransport::stop() {
  if (syncer_) syncer_->stop();
  if (queue_) queue_->stop(true);
  {
    std::lock_guard lock(turn_mutex_);
    stopping_ = true;
  }
  turn_cv_.notify_all();
  if (turn_thread_.joinable()) turn_thread_.join();
}

}  // namespace mxcall::runtime
