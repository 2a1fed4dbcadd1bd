#include "mxcall/matrix/turn.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "json_limits.hpp"

namespace mxcall::matrix {

using nlohmann::json;

Result<TurnServer> parse_turn_server(std::string_view json_text) {
  auto j = detail::nests_deeper_than(json_text, 16) ? json() : json::parse(json_text, nullptr, false);
  if (!j.is_object()) {
    return Error{ErrorCode::bad_response,
                 "the TURN reply is not a JSON object; the homeserver's /voip/turnServer is "
                 "broken: calls will try without TURN"};
  }
  TurnServer server;
  if (auto it = j.find("uris"); it != j.end() && it->is_array()) {
    for (const auto& uri : *it) {
      if (!uri.is_string()) continue;
      const auto& text = uri.get_ref<const std::string&>();
      if (text.rfind("turn:", 0) == 0 || text.rfind("turns:", 0) == 0) server.uris.push_back(text);
    }
  }
  if (auto it = j.find("username"); it != j.end() && it->is_string()) server.username = it->get<std::string>();
  if (auto it = j.find("password"); it != j.end() && it->is_string()) server.password = it->get<std::string>();
  if (auto it = j.find("ttl"); it != j.end() && it->is_number() && it->get<double>() > 0) {
    // Clamped while still a double: converting 1e300 (or 2^63) to an integer is undefined behaviour.
    double seconds = std::min(it->get<double>(), static_cast<double>(kMaxTurnTtl.count()));
    server.ttl = std::max(std::chrono::seconds{1}, std::chrono::seconds{static_cast<long long>(seconds)});
  }
  return server;
}

TurnRefresher::TurnRefresher(Client& client, TurnRefreshOptions options) : client_(client), options_(options) {}

bool TurnRefresher::poll(Clock::time_point now) {
  {
    std::lock_guard lock(mutex_);
    if (state_ == TurnState::stopped || (state_ != TurnState::not_fetched && now < next_)) return false;
  }
  auto reply = client_.turn_server_json();
  auto parsed = reply ? parse_turn_server(*reply) : Result<TurnServer>(reply.error());
  std::lock_guard lock(mutex_);
  ++fetches_;
  if (!parsed) {
    error_ = parsed.error();
    if (error_->code == ErrorCode::forbidden) {
      state_ = TurnState::stopped;
      server_.reset();
      return true;
    }
    // Keep credentials that are still valid: a failed refresh must not take TURN away early.
    state_ = server_ && fetched_at_ + server_->ttl > now ? TurnState::available : TurnState::failing;
    next_ = now + options_.retry_after_error;
    return true;
  }
  error_.reset();
  fetched_at_ = now;
  if (!parsed->available()) {
    state_ = TurnState::no_turn;
    server_.reset();
    next_ = now + options_.recheck_without_turn;
    return true;
  }
  server_ = std::move(*parsed);
  state_ = TurnState::available;
  if (server_->ttl.count() == 0) {
    next_ = now + options_.recheck_without_turn;
  } else {
    auto margin = std::min<std::chrono::seconds::rep>(options_.refresh_margin.count(), server_->ttl.count() / 2);
    next_ = now + server_->ttl - std::chrono::seconds{margin};
  }
  return true;
}

TurnRefresher::Clock::time_point TurnRefresher::next_poll() const {
  std::lock_guard lock(mutex_);
  return next_;
}

TurnState TurnRefresher::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

std::optional<TurnServer> TurnRefresher::current(Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  if (!server_) return std::nullopt;
  if (server_->ttl.count() > 0 && fetched_at_ + server_->ttl <= now) return std::nullopt;
  return server_;
}

std::optional<Error> TurnRefresher::last_error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

int TurnRefresher::fetches() const {
  std::lock_guard lock(mutex_);
  return fetches_;
}

}  // namespace mxcall::matrix
