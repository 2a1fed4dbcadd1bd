// A logged-in session, kept in a file with mode 0600 (it holds the access token) so a restart resumes where it left
// off: same device, same since token (rule 22: old invites are not rung again), and transaction ids never reused.
#pragma once

#include <cstdint>
#include <string>

#include "mxcall/matrix/error.hpp"

namespace mxcall::matrix {

struct Session {
  std::string homeserver;  // base URL, e.g. https://matrix.example.org
  std::string user_id;
  std::string device_id;
  std::string access_token;
  std::string since;  // the next_batch of the last sync batch handed to the application; "" before the first
  std::uint64_t txn_counter = 0;  // the next transaction number this device will use

  bool logged_in() const { return !access_token.empty(); }
  bool operator==(const Session&) const = default;
};

// Writes atomically (temporary file, fsync, rename) with mode 0600 whatever the umask.
Status save_session(const Session& session, const std::string& path);

// Refuses a file that others can read or write: it holds a secret, and a permissive mode means someone changed it.
Result<Session> load_session(const std::string& path);

std::string session_to_json(const Session& session);
Result<Session> session_from_json(const std::string& text);

}  // namespace mxcall::matrix
