// What one /sync hands the call layer: per room, the timeline as raw JSON text that
// mxcall::protocol::EventReader::read_events(timeline_json, room_id, out) reads, one whole batch at a time so the
// router can decide ringing only after the whole response (rule 21).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mxcall::matrix {

// Types the sync filter keeps: call events (stable and unstable names), and the state that call decisions read.
// "m.call.*" also covers m.call.invite etc.; the filter syntax allows a trailing "*".
inline constexpr std::string_view kCallEventTypes[] = {
    "m.call.*", "org.matrix.call.*", "m.room.member", "m.room.join_rules", "m.room.encryption", "m.room.encrypted",
};

struct SyncFilterOptions {
  int timeline_limit = 50;  // events per room per response; `limited` says when more were cut
  bool lazy_load_members = true;
};

// The filter as JSON text, sent inline (`filter=`), so no filter id has to be uploaded or kept.
std::string call_sync_filter(const SyncFilterOptions& options = {});

enum class Membership : unsigned char { join, invite, leave };

struct RoomBatch {
  std::string room_id;
  Membership membership = Membership::join;
  std::string timeline_json = "[]";  // JSON array of events, decrypted where a CryptoHook could
  std::string state_json = "[]";     // JSON array of state events (before the timeline; invite_state for invites)
  bool limited = false;              // the server left out older timeline events of this batch
  std::string prev_batch;
  bool encrypted = false;  // the room has m.room.encryption (as far as this client has seen)
  // Read from this batch's state and timeline, for the call layer's room inputs (rules 25 and 69); the raw events
  // stay in state_json/timeline_json in their order.
  std::optional<bool> join_rule_public;   // the last m.room.join_rules seen here: is it "public"?
  std::vector<std::string> members_left;  // users whose membership became leave or ban in this timeline
  std::string inviter;                    // for Membership::invite: who invited us
  bool is_direct = false;                 // for Membership::invite: the invite was marked is_direct
};

enum class NoticeKind : unsigned char {
  encrypted_room_without_hook,  // once per room: call events there are m.room.encrypted and cannot be read
  undecryptable_event,          // an event did not decrypt for good (once per event; it stays m.room.encrypted)
  malformed_event,        // an event (or a room) of the reply is not a well-formed room event: skipped alone, once
  crypto_request_failed,  // the CryptoHook or one of its requests failed; it is tried again after the next sync
};

struct Notice {
  NoticeKind kind;
  std::string room_id;
  std::string message;  // one line, names the room, says what to do
};

struct SyncBatch {
  std::string since;       // the token this batch was requested with; "" for an initial sync
  std::string next_batch;  // hand it back as `since` for the next one
  std::vector<RoomBatch> rooms;
  std::optional<std::string> direct_json;  // the m.direct account data content, when it changed
  std::vector<Notice> notices;
  bool initial() const { return since.empty(); }
};

// The timelines of every joined and left room of a batch as one JSON array, each event carrying its room_id, in
// room order: one read_events() call (and so one router.sync_batch()) for the whole batch. A reader's results live
// only until its next read, so per-room reads of one batch would need one reader per room.
std::string batch_timeline_json(const SyncBatch& batch);

// One homeserver request that the CryptoHook asks for (keys upload, key query, one-time-key claim, to-device
// message, signature upload). The client sends it with its retry policy and hands the 2xx answer back.
struct CryptoRequest {
  std::string id;      // the hook's own id for this request
  std::string kind;    // the hook's name for what it is (e.g. "keys_query"), handed back with the answer
  std::string method;  // "POST" or "PUT"
  std::string path;    // from /_matrix on, already escaped
  std::string body;    // JSON text
};

// The end-to-end encryption parts of one /sync response (each as JSON text), handed to the hook before the
// timeline is decrypted, so room keys that arrive in the same response decrypt that response's events.
struct CryptoSyncChanges {
  std::string to_device_json = "[]";                          // to_device.events
  std::string device_lists_json = "{}";                       // device_lists: {changed, left}
  std::string one_time_key_counts_json = "{}";                // device_one_time_keys_count
  std::optional<std::string> unused_fallback_key_types_json;  // device_unused_fallback_key_types, when sent
  std::string next_batch;
};

struct DecryptOutcome {
  std::optional<std::string> event_json;  // the decrypted event: a JSON object with at least type and content
  bool retry_later = false;               // no room key yet: worth trying again when one arrives for the room
  std::string reason;                     // one line: why it did not decrypt
};

// What the hook made of one /sync's changes.
struct CryptoSyncResult {
  std::vector<std::string> rooms_with_new_keys;  // their waiting events are tried again
  std::string error;                             // non-empty: the changes were not taken (reported as a Notice)
};

// The requests the hook wants sent now, or why it could not say.
struct CryptoRequests {
  std::vector<CryptoRequest> requests;
  std::string error;
};

// One step of encrypting an event: either the m.room.encrypted content, or requests to send (and mark as sent)
// before asking again, or an error.
struct EncryptStep {
  std::optional<std::string> content_json;
  std::vector<CryptoRequest> requests;
  std::string error;
};

// Plugged in by an application with Matrix end-to-end encryption (crypto/ implements it with matrix-sdk-crypto).
// The client feeds it each /sync's encryption changes, sends the requests it asks for, decrypts timeline events
// through it (retrying those without a room key when keys arrive), and encrypts sends into encrypted rooms. Calls
// come from the syncing and the sending threads; the client never runs two request flows through it at once.
// Without a hook, encrypted rooms are reported once (NoticeKind::encrypted_room_without_hook).
class CryptoHook {
 public:
  virtual ~CryptoHook() = default;
  // The event's JSON object as received (type m.room.encrypted). The client copies event_id, sender,
  // origin_server_ts, room_id and unsigned from the encrypted event when the decrypted one leaves them out.
  virtual DecryptOutcome decrypt(std::string_view room_id, std::string_view event_json) = 0;
  // One step towards encrypting (type, content) for the room whose joined members are `members`. `first_step` is
  // true for the first call per event; the client calls again after sending a step's requests (a bounded number of
  // times).
  virtual EncryptStep encrypt(std::string_view room_id, std::string_view type, std::string_view content_json,
                              const std::vector<std::string>& members, bool first_step) = 0;
  // One /sync's changes (called for every response, before its timeline is decrypted).
  virtual CryptoSyncResult receive_sync_changes(const CryptoSyncChanges& changes) {
    (void)changes;
    return {};
  }
  // Requests to send now (the client asks after every /sync).
  virtual CryptoRequests outgoing_requests() { return {}; }
  // The homeserver answered `request` with 2xx and `response_json`. Returns an error message when the hook could
  // not take the answer (the request will be asked for again).
  virtual std::optional<std::string> mark_request_sent(const CryptoRequest& request, std::string_view response_json) {
    (void)request;
    (void)response_json;
    return std::nullopt;
  }
};

}  // namespace mxcall::matrix
