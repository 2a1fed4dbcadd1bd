// DeviceVerification (mxcall/verification.hpp): a logged-in homeserver client with the device's encryption hook.
// Each step is one command to the crypto crate's verification machine; the verification messages it returns are
// sent before the step returns, then whatever the machine queued on its own.
#include <nlohmann/json.hpp>

#include "encryption_setup.hpp"
#include "mxcall/verification.hpp"
#ifdef MXCALL_RUNTIME_CRYPTO
#include "mxcall/crypto/olm_hook.hpp"
#endif

namespace mxcall {

using nlohmann::json;

struct DeviceVerification::Impl {
  std::unique_ptr<matrix::Client> client;
  std::string user_id;
  std::string device_id;
#ifdef MXCALL_RUNTIME_CRYPTO
  std::shared_ptr<crypto::OlmCryptoHook> hook;

  // One command; its requests sent. A crate error keeps its code in Error::errcode (unknown_device, ...).
  Result<json> run(bool cross_signing, const json& command) {
    auto reply = cross_signing ? hook->cross_signing(command.dump()) : hook->verification(command.dump());
    if (!reply.value_json) {
      bool user_error = reply.error.code == "unknown_device" || reply.error.code == "several_devices" ||
                        reply.error.code == "unknown_flow" || reply.error.code == "wrong_state" ||
                        reply.error.code == "bad_argument" || reply.error.code == "cross_signing_exists";
      return Error{user_error ? ErrorCode::bad_request : ErrorCode::crypto_store,
                   reply.error.message + " [" + reply.error.code + "]", 0, reply.error.code};
    }
    if (!reply.requests.empty()) {
      if (auto sent = client->send_hook_requests(reply.requests); !sent) return sent.error();
    }
    // The machine's own queue: the key after an accept, the MAC and done after a confirm, key queries.
    if (auto flushed = client->flush_crypto_requests(); !flushed) return flushed.error();
    return json::parse(*reply.value_json, nullptr, false);
  }

  // Commands that first fetch keys answer with requests alone; asked again once those are sent. Four rounds settle
  // a key query; more means the server keeps the user's devices from us.
  Result<json> run_until(bool cross_signing, const json& command, const char* key) {
    for (int round = 0; round < 4; ++round) {
      auto value = run(cross_signing, command);
      if (!value) return value;
      if (value->is_object() && value->contains(key)) return value;
    }
    return Error{ErrorCode::timeout, "the devices of " + command.value("user_id", user_id) +
                                         " could not be fetched from the homeserver (four key queries)"};
  }
#endif
};

namespace {

#ifdef MXCALL_RUNTIME_CRYPTO
VerificationFlow read_flow(const json& value) {
  VerificationFlow flow;
  if (!value.is_object()) return flow;
  auto text = [&](const char* key) {
    auto it = value.find(key);
    return it != value.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  flow.user_id = text("user_id");
  flow.device_id = text("device_id");
  flow.flow_id = text("flow_id");
  flow.state = text("state");
  flow.we_started = value.value("we_started", false);
  for (const auto& e : value.value("emoji", json::array())) {
    if (e.is_object()) flow.emoji.push_back({e.value("symbol", ""), e.value("name", "")});
  }
  for (const auto& d : value.value("decimals", json::array())) {
    if (d.is_number_integer()) flow.decimals.push_back(d.get<int>());
  }
  if (auto cancel = value.find("cancel"); cancel != value.end() && cancel->is_object()) {
    flow.cancel_code = cancel->value("code", "");
    flow.cancel_reason = cancel->value("reason", "");
    flow.cancelled_by_us = cancel->value("by_us", false);
  }
  return flow;
}

CrossSigningStatus read_status(const json& value) {
  CrossSigningStatus status;
  if (!value.is_object()) return status;
  status.has_master = value.value("has_master", false);
  status.has_self_signing = value.value("has_self_signing", false);
  status.has_user_signing = value.value("has_user_signing", false);
  status.identity_on_server = value.value("identity_on_server", false);
  status.device_signed = value.value("device_signed", false);
  return status;
}
#endif

[[maybe_unused]] Error not_built() {
  return Error{ErrorCode::crypto_store,
               "this mxcall was built without end-to-end encryption (crypto/, Rust): device verification needs it"};
}

}  // namespace

DeviceVerification::DeviceVerification(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DeviceVerification::~DeviceVerification() = default;

const std::string& DeviceVerification::user_id() const { return impl_->user_id; }
const std::string& DeviceVerification::device_id() const { return impl_->device_id; }

#ifdef MXCALL_RUNTIME_CRYPTO

Result<std::unique_ptr<DeviceVerification>> DeviceVerification::open(const PhoneConfig& config) {
  if (!config.encryption.enabled || encryption_store_path(config).empty()) {
    return Error{ErrorCode::crypto_store,
                 "device verification needs the device's encryption store: use a saved session (mxcall login)"};
  }
  auto client = runtime::log_in(config);
  if (!client) return client.error();
  auto encryption = runtime::open_encryption(**client, config);
  if (!encryption) return encryption.error();
  auto impl = std::make_unique<Impl>();
  impl->hook = std::dynamic_pointer_cast<crypto::OlmCryptoHook>(encryption->hook);
  if (!impl->hook) return not_built();
  auto session = (*client)->session();
  impl->user_id = session.user_id;
  impl->device_id = session.device_id;
  impl->client = std::move(*client);
  return std::unique_ptr<DeviceVerification>(new DeviceVerification(std::move(impl)));
}

matrix::Status DeviceVerification::sync_once(std::chrono::milliseconds wait) {
  matrix::SyncOptions options;
  options.timeout = wait;
  auto batch = impl_->client->sync(options);
  if (!batch) return batch.error();
  return impl_->client->commit(*batch);
}

Result<VerificationFlow> DeviceVerification::request(const std::string& user_id, const std::string& device_id) {
  json command = {{"action", "request"}, {"user_id", user_id}};
  if (!device_id.empty()) command["device_id"] = device_id;
  auto value = impl_->run_until(false, command, "flow");
  if (!value) return value.error();
  return read_flow((*value)["flow"]);
}

matrix::Status DeviceVerification::watch(const std::string& user_id) {
  auto value = impl_->run_until(false, {{"action", "watch"}, {"user_id", user_id}}, "flow");
  if (!value) return value.error();
  return matrix::Ok{};
}

Result<std::vector<VerificationFlow>> DeviceVerification::flows() {
  auto value = impl_->run(false, {{"action", "list"}});
  if (!value) return value.error();
  std::vector<VerificationFlow> flows;
  for (const auto& f : value->value("flows", json::array())) flows.push_back(read_flow(f));
  return flows;
}

namespace {
Result<VerificationFlow> step(DeviceVerification::Impl& impl, const char* action, const VerificationFlow& flow) {
  auto value = impl.run(false, {{"action", action}, {"user_id", flow.user_id}, {"flow_id", flow.flow_id}});
  if (!value) return value.error();
  return read_flow((*value)["flow"]);
}
}  // namespace

Result<VerificationFlow> DeviceVerification::accept(const VerificationFlow& flow) {
  return step(*impl_, "accept", flow);
}
Result<VerificationFlow> DeviceVerification::start_sas(const VerificationFlow& flow) {
  return step(*impl_, "start_sas", flow);
}
Result<VerificationFlow> DeviceVerification::accept_sas(const VerificationFlow& flow) {
  return step(*impl_, "accept_sas", flow);
}
Result<VerificationFlow> DeviceVerification::confirm(const VerificationFlow& flow) {
  return step(*impl_, "confirm", flow);
}
Result<VerificationFlow> DeviceVerification::mismatch(const VerificationFlow& flow) {
  return step(*impl_, "mismatch", flow);
}
Result<VerificationFlow> DeviceVerification::cancel(const VerificationFlow& flow) {
  return step(*impl_, "cancel", flow);
}

Result<CrossSigningStatus> DeviceVerification::cross_signing_status() {
  auto value = impl_->run_until(true, {{"action", "status"}}, "status");
  if (!value) return value.error();
  return read_status((*value)["status"]);
}

Result<CrossSigningStatus> DeviceVerification::bootstrap_cross_signing(const std::string& password) {
  // The requests are sent here, in order, rather than by run(): the signing keys upload may need the password.
  json command = {{"action", "bootstrap"}};
  crypto::OlmCryptoHook::CommandReply reply;
  for (int round = 0; round < 4; ++round) {
    reply = impl_->hook->cross_signing(command.dump());
    if (!reply.value_json) break;
    auto value = json::parse(*reply.value_json, nullptr, false);
    if (value.is_object() && value.contains("status")) break;
    if (auto sent = impl_->client->send_hook_requests(reply.requests); !sent) return sent.error();
  }
  if (!reply.value_json) {
    return Error{reply.error.code == "cross_signing_exists" ? ErrorCode::bad_request : ErrorCode::crypto_store,
                 reply.error.message + " [" + reply.error.code + "]", 0, reply.error.code};
  }
  for (const auto& request : reply.requests) {
    if (request.kind != "signing_keys_upload") {
      if (auto sent = impl_->client->send_hook_requests({request}); !sent) return sent.error();
      continue;
    }
    auto answer = impl_->client->api(request.method.c_str(), request.path, request.body);
    if (!answer && answer.error().http_status == 401) {
      // User-interactive auth (the homeserver wants the password before keys that vouch for every device change).
      if (password.empty()) {
        return Error{ErrorCode::wrong_password,
                     "the homeserver asks for the account password to upload cross-signing keys: give it with "
                     "--password-file or $MXCALL_PASSWORD",
                     401};
      }
      json body = json::parse(request.body, nullptr, false);
      body["auth"] = {{"type", "m.login.password"},
                      {"identifier", {{"type", "m.id.user"}, {"user", impl_->user_id}}},
                      {"password", password}};
      answer = impl_->client->api(request.method.c_str(), request.path, body.dump());
      if (!answer && answer.error().http_status == 401) {
        return Error{ErrorCode::wrong_password, "the homeserver refused the password for the cross-signing upload",
                     401};
      }
    }
    if (!answer) return answer.error();
    if (auto problem = impl_->hook->mark_request_sent(request, answer->body)) {
      return Error{ErrorCode::bad_response, "the cross-signing upload's answer was not taken: " + *problem};
    }
  }
  return cross_signing_status();
}

#else

Result<std::unique_ptr<DeviceVerification>> DeviceVerification::open(const PhoneConfig&) { return not_built(); }
matrix::Status DeviceVerification::sync_once(std::chrono::milliseconds) { return not_built(); }
Result<VerificationFlow> DeviceVerification::request(const std::string&, const std::string&) { return not_built(); }
matrix::Status DeviceVerification::watch(const std::string&) { return not_built(); }
Result<std::vector<VerificationFlow>> DeviceVerification::flows() { return not_built(); }
Result<VerificationFlow> DeviceVerification::accept(const VerificationFlow&) { return not_built(); }
Result<VerificationFlow> DeviceVerification::start_sas(const VerificationFlow&) { return not_built(); }
Result<VerificationFlow> DeviceVerification::accept_sas(const VerificationFlow&) { return not_built(); }
Result<VerificationFlow> DeviceVerification::confirm(const VerificationFlow&) { return not_built(); }
Result<VerificationFlow> DeviceVerification::mismatch(const VerificationFlow&) { return not_built(); }
Result<VerificationFlow> DeviceVerification::cancel(const VerificationFlow&) { return not_built(); }
Result<CrossSigningStatus> DeviceVerification::cross_signing_status() { return not_built(); }
Result<CrossSigningStatus> DeviceVerification::bootstrap_cross_signing(const std::string&) { return not_built(); }

#endif

}  // namespace mxcall
