// Fuzzes the homeserver client's /sync reader with hostile reply bodies (a server may send anything). Beyond "no
// crash, no sanitizer report, no stack overflow": a reply is refused whole or read; what is read hands the call layer
// JSON arrays of objects only, no deeper than the limit, and every notice is one line.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>

#include "encryption.hpp"
#include "json_limits.hpp"
#include "sync_parse.hpp"

namespace {

using nlohmann::json;
using namespace mxcall::matrix;

class FlakyHook final : public CryptoHook {
 public:
  // Decrypts to whatever the ciphertext field says: a hostile "plaintext" must be checked like the reply itself.
  // An event without a string ciphertext waits for its key (odd sizes) or never decrypts (even sizes).
  DecryptOutcome decrypt(std::string_view, std::string_view event_json) override {
    auto event = json::parse(event_json, nullptr, false);
    bool wait = event_json.size() % 2 == 1;
    if (!event.is_object() || !event.contains("content") || !event["content"].is_object()) {
      return {std::nullopt, wait, "no content\nwith a newline"};
    }
    auto it = event["content"].find("ciphertext");
    if (it == event["content"].end() || !it->is_string()) return {std::nullopt, wait, "no ciphertext"};
    return {it->get<std::string>(), false, {}};
  }
  EncryptStep encrypt(std::string_view, std::string_view, std::string_view, const std::vector<std::string>&,
                      bool) override {
    return {std::nullopt, {}, "not in the fuzzer"};
  }
  // Every reply's keys "arrive" for the rooms it names in to_device events' room_id, so waiting events are retried.
  CryptoSyncResult receive_sync_changes(const CryptoSyncChanges& changes) override {
    CryptoSyncResult result;
    auto events = json::parse(changes.to_device_json, nullptr, false);
    if (!events.is_array()) return result;
    for (const auto& event : events) {
      if (event.is_object() && event.contains("room_id") && event["room_id"].is_string()) {
        result.rooms_with_new_keys.push_back(event["room_id"].get<std::string>());
      }
    }
    return result;
  }
};

void check_array_of_objects(const std::string& text, std::size_t max_depth) {
  if (mxcall::matrix::detail::nests_deeper_than(text, max_depth)) std::abort();
  auto parsed = json::parse(text, nullptr, false);
  if (!parsed.is_array()) std::abort();
  for (const auto& event : parsed) {
    if (!event.is_object() || !event.contains("type") || !event["type"].is_string()) std::abort();
  }
}

bool one_line(const std::string& text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  static FlakyHook hook;
  std::set<std::string> encrypted;
  detail::SyncParseContext context;
  context.homeserver = "https://hs";
  context.me = "@me:hs";
  context.max_json_depth = 24;  // low, so the fuzzer reaches the limit with small inputs
  // The client's waiting list is kept across inputs, as across replies; it is bounded by max_undecrypted.
  static detail::EncryptionState waiting;
  waiting.max_json_depth = 24;
  context.hook = size % 3 != 0 ? &hook : nullptr;
  context.encryption = size % 3 == 1 ? &waiting : nullptr;
  context.max_undecrypted = 8;
  context.room_encrypted = [&](const std::string& room, bool seen, std::vector<Notice>&) {
    if (seen) encrypted.insert(room);
    return encrypted.count(room) != 0;
  };
  auto batch = detail::parse_sync_body(body, SyncBatch{}, context);
  if (!batch) {
    if (!one_line(batch.error().message)) std::abort();
    return 0;
  }
  for (const auto& room : batch->rooms) {
    // Decrypted events come from the hook: they are checked to the same depth plus the event's own nesting.
    check_array_of_objects(room.timeline_json, context.max_json_depth * 2);
    check_array_of_objects(room.state_json, context.max_json_depth);
  }
  for (const auto& notice : batch->notices) {
    if (!one_line(notice.message)) std::abort();
  }
  return 0;
}
