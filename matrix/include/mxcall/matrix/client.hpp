// The homeserver client: login, /sync, sending room events, TURN, direct-message rooms. Blocking calls on libcurl;
// every method may be called from any thread (a sync thread and a send thread at once is the normal use).
// It carries events and makes no call-protocol decision.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mxcall/matrix/error.hpp"
#include "mxcall/matrix/session.hpp"
#include "mxcall/matrix/sync.hpp"

namespace mxcall::matrix {

// Retries of one request. Bounded twice: in attempts and in total time, whichever ends first.
struct RetryPolicy {
  int max_attempts = 8;
  std::chrono::milliseconds max_total{60000};
  std::chrono::milliseconds initial_backoff{250};  // doubled after each 5xx or lost connection, with jitter
  std::chrono::milliseconds max_backoff{8000};
  std::chrono::milliseconds max_retry_after{30000};  // a 429 asking for longer ends the retries
  // Before the first answer from the homeserver a refused connection is most likely a wrong address: fail at once.
  bool retry_unreachable_before_first_answer = false;
};

// What one homeserver reply may cost us at most (docs/security.md): the server may be hostile or broken.
struct ClientLimits {
  // A reply body longer than this is cut off and refused (bad_response naming the limit). A /sync with the call
  // filter and 50 events per room is far below it; Synapse caps an event at 64 KiB.
  std::size_t max_body_bytes = 20 * 1024 * 1024;
  // Arrays and objects nested deeper than this are refused before any tree is built (a /sync reaches depth ~12).
  std::size_t max_json_depth = 64;
};

struct ClientConfig {
  std::string homeserver;  // base URL of the client API, e.g. https://matrix.example.org
  // http:// sends the password and access token in clear text: refused unless the host is loopback or this is set
  // (the CLI's --insecure-http). See check_homeserver_url().
  bool allow_insecure_http = false;
  bool verify_tls = true;  // real homeservers are HTTPS; turn this off only for a test server you run yourself
  std::string ca_file;     // extra CA bundle (PEM), e.g. for a private CA
  RetryPolicy retry;
  std::chrono::milliseconds request_timeout{30000};  // one HTTP request, except /sync which adds its long-poll time
  std::chrono::milliseconds connect_timeout{10000};
  std::string user_agent = "mxcall/0.1";
  std::string session_path;  // when set, the session is saved there (0600) after login and each batch
  std::string device_display_name = "mxcall";
  SyncFilterOptions filter;
  ClientLimits limits;
  // How long an encrypted event whose room key has not arrived waits for it (retried each time keys arrive for its
  // room), and how many such events are kept; after that it is reported once (NoticeKind::undecryptable_event).
  std::chrono::milliseconds undecryptable_wait{60000};
  std::size_t max_undecrypted = 256;
};

// Why requests to this homeserver must not be made, or nullopt: a URL that is not http(s), or plain http to a host
// that is not loopback (127.0.0.0/8, ::1, localhost) without allow_insecure_http.
std::optional<Error> check_homeserver_url(const ClientConfig& config);

struct WhoAmI {
  std::string user_id;
  std::string device_id;
};

struct SyncOptions {
  std::chrono::milliseconds timeout{30000};  // long-poll time the server may hold the request
  bool full_state = false;
  const std::atomic<bool>* cancel = nullptr;  // a second cancel flag for this call alone (a Syncer's stop)
};

// Counters since the client was made (all requests, all threads), for tests, logs and the benchmark.
struct ClientStats {
  std::uint64_t requests = 0;          // HTTP attempts, retries included
  std::uint64_t rate_limited = 0;      // 429 answers
  std::uint64_t server_errors = 0;     // 5xx answers
  std::uint64_t transport_errors = 0;  // attempts with no HTTP answer (refused, lost, timed out)
};

struct RawResponse {
  int status = 0;
  std::string body;
};

class Client {
 public:
  explicit Client(ClientConfig config);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // --- sessions
  Result<Session> login_password(const std::string& user, const std::string& password,
                                 const std::string& device_id = {});
  Result<Session> login_token(const std::string& login_token, const std::string& device_id = {});
  // Uses an access token obtained elsewhere; whoami fills in the user and device.
  Result<Session> use_access_token(const std::string& access_token);
  // Resumes from the session file of ClientConfig::session_path (checked with whoami).
  Result<Session> resume();
  Result<WhoAmI> whoami();
  Status logout();
  Session session() const;
  void set_session(Session session);
  Status save() const;  // to ClientConfig::session_path; a no-op without one

  // --- sync
  // One /sync with the call filter and the session's since token. Does not advance the session: call
  // commit(batch) once the batch has been handed on, so a crash in between replays it rather than losing it.
  Result<SyncBatch> sync(const SyncOptions& options = {});
  Status commit(const SyncBatch& batch);

  // --- sending
  // A fresh transaction id. Ids are never reused by this device, across restarts too (a block of numbers is reserved
  // in the session file before it is used).
  std::string next_txn_id();
  // PUT /rooms/{room}/send/{type}/{txn}; retried with the same txn id, so the server stores the event once. Returns
  // the event id. Encrypted rooms go through the CryptoHook when there is one.
  Result<std::string> send_event(const std::string& room_id, const std::string& type, std::string_view content_json,
                                 const std::string& txn_id, const std::atomic<bool>* cancel = nullptr);

  // --- rooms
  Result<std::string> create_room(std::string_view body_json);
  Result<std::string> create_dm(const std::string& user_id, bool encrypted = false);
  Status invite(const std::string& room_id, const std::string& user_id);
  Result<std::string> join(const std::string& room_id_or_alias);
  Status leave(const std::string& room_id);
  // The newest room listed for `user_id` in m.direct that we are joined to and they are joined or invited in.
  Result<std::optional<std::string>> find_dm(const std::string& user_id);
  Status add_direct(const std::string& user_id, const std::string& room_id);  // records a DM in m.direct
  // The other member of the direct chat `room_id`: the one user our m.direct lists it under, when they and we are its
  // only joined members; nullopt for any other room (not in m.direct, listed under several users, a third member
  // joined, the peer only invited). Two requests: m.direct and the room's joined members.
  Result<std::optional<std::string>> direct_peer(const std::string& room_id);
  Result<std::vector<std::string>> joined_rooms();
  // GET /rooms/{room}/messages; the raw JSON answer (used by tests and tools to check what the room holds).
  Result<std::string> messages(const std::string& room_id, std::string_view dir = "b", int limit = 100,
                               const std::string& from = {});

  // --- TURN
  Result<std::string> turn_server_json();  // the raw reply of GET /voip/turnServer; see turn.hpp for parsing

  // --- encryption
  void set_crypto_hook(std::shared_ptr<CryptoHook> hook);
  bool encrypts() const;  // a CryptoHook is set: this client can read and write encrypted rooms
  bool room_encrypted(const std::string& room_id) const;
  // The ids of `user_id`'s devices whose identity keys the homeserver holds (POST /keys/query): empty for a user
  // whose clients do no end-to-end encryption. At most 1000 ids are read.
  Result<std::vector<std::string>> devices_with_keys(const std::string& user_id);
  // Sends what the hook asks for now (keys upload, key queries, ...); sync() does this after every response.
  Status flush_crypto_requests(const std::atomic<bool>* cancel = nullptr);
  // Sends requests the hook handed out of band (a verification step's messages, to go now rather than after the
  // next sync) and gives it the answers, as flush_crypto_requests does for its own.
  Status send_hook_requests(const std::vector<CryptoRequest>& requests, const std::atomic<bool>* cancel = nullptr);
  // Whom a room key of an encrypted room goes to: its joined and invited members (GET /members, cached until a
  // membership event of the room is synced).
  Result<std::vector<std::string>> key_recipients(const std::string& room_id,
                                                  const std::atomic<bool>* cancel = nullptr);

  // --- plumbing
  // Any client-server API call, authenticated when logged in, with the retry policy. `path` starts with /_matrix.
  // Non-2xx answers become Errors.
  Result<RawResponse> api(const char* method, const std::string& path, std::string_view body = {},
                          bool authenticated = true);
  // Aborts requests in flight and back-off sleeps (they return ErrorCode::cancelled) until reset_cancel().
  void cancel();
  void reset_cancel();
  void wake();  // wakes back-off sleeps so they look at their cancel flags again
  const ClientConfig& config() const;
  ClientStats stats() const;
  static std::string escape(std::string_view path_segment);

 private:
  struct State;
  Result<RawResponse> request(const char* method, const std::string& path, std::string_view body, bool auth,
                              std::chrono::milliseconds extra_timeout, const RetryPolicy& policy,
                              const std::atomic<bool>* cancel_too = nullptr);
  Result<Session> finish_login(const RawResponse& response);
  Error login_error(const Error& error, const std::string& user);
  Result<SyncBatch> parse_sync(const std::string& body, SyncBatch batch);
  void note_encrypted(const std::string& room_id, std::vector<Notice>& notices);
  Result<bool> needs_encryption(const std::string& room_id, const std::atomic<bool>* cancel);
  Result<std::string> encrypt_for_room(CryptoHook& hook, const std::string& room_id, const std::string& type,
                                       std::string_view content_json, const std::atomic<bool>* cancel);
  Status send_crypto_requests(CryptoHook& hook, const std::vector<CryptoRequest>& requests,
                              const std::atomic<bool>* cancel);
  Status save_locked() const;

  // The session, the connection pool, the counters and the locks: the client's own business (client_internal.hpp).
  std::unique_ptr<State> state_;
};

}  // namespace mxcall::matrix
