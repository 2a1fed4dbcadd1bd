#include "mxcall/crypto/machine.hpp"

#include <nlohmann/json.hpp>

#include "mxcall/crypto/mxcall_crypto.h"

namespace mxcall::crypto {

using nlohmann::json;

namespace {

// Takes ownership of a string the crate returned and reads its {"ok"} / {"error"} envelope.
Reply take(char* text) {
  struct Free {
    void operator()(char* p) const { mxc_string_free(p); }
  };
  std::unique_ptr<char, Free> owned(text);
  if (!owned) return Reply{std::nullopt, CryptoError{"internal", "the crypto library returned nothing", false}};
  auto envelope = json::parse(owned.get(), nullptr, false);
  if (envelope.is_object() && envelope.contains("ok")) return Reply{envelope["ok"].dump(), {}};
  if (envelope.is_object() && envelope.contains("error") && envelope["error"].is_object()) {
    const json& e = envelope["error"];
    return Reply{std::nullopt, CryptoError{e.value("code", "internal"), e.value("message", "no message"),
                                           e.value("retryable", false)}};
  }
  return Reply{std::nullopt, CryptoError{"internal", "the crypto library returned malformed JSON", false}};
}

// The C ABI takes NUL-terminated strings; a string_view may hold a NUL, which would cut the text short unseen.
std::optional<std::string> c_string(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) return std::nullopt;
  return std::string(text);
}

Reply nul_error(const char* what) {
  return Reply{std::nullopt, CryptoError{"bad_argument", std::string(what) + " holds a NUL byte", false}};
}

}  // namespace

std::string store_path_for(const std::string& session_path) { return session_path + ".crypto"; }

std::unique_ptr<Machine> Machine::open(const StoreOptions& options, CryptoError* error) {
  json request = {{"user_id", options.user_id},
                  {"device_id", options.device_id},
                  {"store_path", options.store_path},
                  {"create", options.create}};
  if (!options.passphrase.empty()) request["passphrase"] = options.passphrase;
  MxcMachine* handle = nullptr;
  Reply reply = take(mxc_open(request.dump().c_str(), &handle));
  if (!reply.ok() || !handle) {
    if (handle) mxc_close(handle);
    if (error) *error = reply.ok() ? CryptoError{"internal", "no handle", false} : reply.error;
    return nullptr;
  }
  return std::unique_ptr<Machine>(new Machine(handle));
}

Machine::~Machine() { mxc_close(handle_); }

Reply Machine::identity() const { return take(mxc_identity(handle_)); }

Reply Machine::receive_sync_changes(std::string_view changes_json) const {
  auto changes = c_string(changes_json);
  if (!changes) return nul_error("the sync changes");
  return take(mxc_receive_sync_changes(handle_, changes->c_str()));
}

Reply Machine::outgoing_requests() const { return take(mxc_outgoing_requests(handle_)); }

Reply Machine::mark_request_sent(std::string_view id, std::string_view kind, std::string_view response_json) const {
  auto i = c_string(id), k = c_string(kind), r = c_string(response_json);
  if (!i || !k || !r) return nul_error("the request id, kind or response");
  return take(mxc_mark_request_sent(handle_, i->c_str(), k->c_str(), r->c_str()));
}

Reply Machine::encrypt(std::string_view input_json) const {
  auto input = c_string(input_json);
  if (!input) return nul_error("the encryption input");
  return take(mxc_encrypt(handle_, input->c_str()));
}

Reply Machine::decrypt(std::string_view room_id, std::string_view event_json) const {
  auto room = c_string(room_id), event = c_string(event_json);
  if (!room || !event) return nul_error("the room id or event");
  return take(mxc_decrypt(handle_, room->c_str(), event->c_str()));
}

Reply Machine::verification(std::string_view command_json) const {
  auto command = c_string(command_json);
  if (!command) return nul_error("the verification command");
  return take(mxc_verification(handle_, command->c_str()));
}

Reply Machine::cross_signing(std::string_view command_json) const {
  auto command = c_string(command_json);
  if (!command) return nul_error("the cross-signing command");
  return take(mxc_cross_signing(handle_, command->c_str()));
}

}  // namespace mxcall::crypto
