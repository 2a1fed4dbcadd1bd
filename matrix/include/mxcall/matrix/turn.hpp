// TURN credentials from GET /voip/turnServer (digest section 6). The reply is read tolerantly: Synapse answers {}
// when it has no TURN, other servers empty strings; both mean "no TURN", never an error.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mxcall/matrix/client.hpp"

namespace mxcall::matrix {

// A longer ttl from the server is read as this: credentials are refetched at least daily, and no time arithmetic
// on a server-chosen ttl can overflow.
inline constexpr std::chrono::seconds kMaxTurnTtl{86400};

struct TurnServer {
  std::vector<std::string> uris;  // only turn: and turns: URIs are kept
  std::string username;           // opaque (often "<expiry>:<user>"); may be empty
  std::string password;
  std::chrono::seconds ttl{0};  // 0 when the server gave none
  bool available() const { return !uris.empty(); }
};

// Fails only when the text is not a JSON object. Missing or wrongly typed fields are read as absent.
Result<TurnServer> parse_turn_server(std::string_view json_text);

struct TurnRefreshOptions {
  // Refetch once less than this remains of the ttl (js-sdk uses 10 minutes). Capped at half the ttl, so short ttls
  // are not refetched in a loop.
  std::chrono::seconds refresh_margin{600};
  std::chrono::seconds recheck_without_turn{600};  // after a {} reply, and for credentials without a ttl
  std::chrono::seconds retry_after_error{60};      // after a failed fetch (other than 403)
};

enum class TurnState : unsigned char {
  not_fetched,
  available,  // current() holds credentials
  no_turn,    // the server has no TURN ({} or empty fields)
  stopped,    // 403 (e.g. a guest where turn_allow_guests is off): no more polling, as js-sdk does
  failing,    // the last fetch failed; a retry is scheduled
};

// Decides when to fetch; the caller drives it with poll(now) from its own loop (next_poll() says when).
class TurnRefresher {
 public:
  using Clock = std::chrono::steady_clock;
  explicit TurnRefresher(Client& client, TurnRefreshOptions options = {});

  // Fetches if due. Returns true if a request was made.
  bool poll(Clock::time_point now = Clock::now());
  Clock::time_point next_poll() const;
  TurnState state() const;
  // The credentials while they are valid (ttl not yet passed).
  std::optional<TurnServer> current(Clock::time_point now = Clock::now()) const;
  std::optional<Error> last_error() const;
  int fetches() const;

 private:
  Client& client_;
  TurnRefreshOptions options_;
  mutable std::mutex mutex_;
  TurnState state_ = TurnState::not_fetched;
  std::optional<TurnServer> server_;
  Clock::time_point fetched_at_{};
  Clock::time_point next_{};
  std::optional<Error> error_;
  int fetches_ = 0;
};

}  // namespace mxcall::matrix
