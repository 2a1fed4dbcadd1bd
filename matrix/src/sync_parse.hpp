// Reading one /sync reply into a SyncBatch, apart from the client so the sync-body fuzzer can drive it. The reply
// comes from a server that may be hostile: its depth is checked before a tree is built, no subtree is copied, and a
// malformed room or event is skipped alone (with a Notice naming its room and id) rather than failing the batch.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "mxcall/matrix/error.hpp"
#include "mxcall/matrix/sync.hpp"

namespace mxcall::matrix::detail {

class EncryptionState;

struct SyncParseContext {
  std::string_view homeserver;  // for messages
  std::string_view me;          // our user id: finds our own invite in invite_state
  // With a hook: this reply's encryption changes go to it first (room keys in, so the reply's own events decrypt),
  // then its encrypted events are decrypted or kept in `encryption` until their key arrives (events that waited
  // and decrypt now come before the reply's own), waiting longer than `undecryptable_wait` reported once.
  CryptoHook* hook = nullptr;
  EncryptionState* encryption = nullptr;
  std::size_t max_undecrypted = 256;
  std::chrono::milliseconds undecryptable_wait{60000};
  std::size_t max_json_depth = 64;
  // Called once per joined room with whether this batch shows the room encrypted; returns whether the client now
  // knows it to be encrypted, and may add a notice. The client keeps that memory (under its lock).
  std::function<bool(const std::string& room_id, bool seen_in_batch, std::vector<Notice>& notices)> room_encrypted;
};

Result<SyncBatch> parse_sync_body(std::string_view body, SyncBatch batch, const SyncParseContext& context);

}  // namespace mxcall::matrix::detail
