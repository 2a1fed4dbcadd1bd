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
  undecryptable_event,          // the hook could not decrypt an event (it stays m.room.encrypted in the timeline)
  malformed_event,  // an event (or a room) of the reply is not a well-formed room event: skipped alone, once
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

// Plugged in by an application that has its own Matrix end-to-end encryption. Called from the thread that syncs or
// sends. Without a hook, encrypted rooms are reported once (NoticeKind::encrypted_room_without_hook).
class CryptoHook {
 public:
  virtual ~CryptoHook() = default;
  // The event's JSON object as received (type m.room.encrypted). Returns the decrypted event as a JSON object with at
  // least `type` and `content` (the client copies event_id, sender, origin_server_ts, room_id and unsigned from the
  // encrypted event when they are absent), or nullopt when it cannot be decrypted (yet).
  virtual std::optional<std::string> decrypt(std::string_view room_id, std::string_view event_json) = 0;
  // Returns the m.room.encrypted content to send instead of (type, content), or nullopt to refuse sending.
  virtual std::optional<std::string> encrypt(std::string_view room_id, std::string_view type,
                                             std::string_view content_json) = 0;
};

}  // namespace mxcall::matrix
