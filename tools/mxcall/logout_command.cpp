// mxcall logout: ends the saved session on the homeserver (the access token stops working) and deletes the file and
// the device's encryption store (its keys belong to a device that no longer exists).
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "account.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"
#include "mxcall/phone.hpp"
#include "output.hpp"

namespace mxcall::tools {
namespace {

const std::vector<OptionSpec> kOptions = {
    kSessionOption,
    kInsecureHttpOption,
    {"json", "", "print the result as one JSON object (docs/cli.md)"},
    {"help", "", "show this help"},
};

std::string usage() {
  return "usage: mxcall logout [options]\n"
         "Logs the saved session out on its homeserver (its access token stops working, the device is deleted) and\n"
         "removes the session file and the device's encryption store (<session>.crypto). A session the homeserver no\n"
         "longer accepts is removed locally as well.\n"
         "options:\n" +
         format_options(kOptions) + "Exit status: 0 logged out, 2 usage error, 6 not logged in or homeserver error.\n";
}

}  // namespace

int run_logout(const std::vector<std::string>& args) {
  AccountCommand command = begin_account_command(args, kOptions, "logout", usage(), 0);
  if (command.done) return *command.done;
  const ParsedOptions& options = command.options;
  Output* out = command.out.get();
  if (!env("MXCALL_ACCESS_TOKEN").empty() && !options.has("session")) {
    out->warning("MXCALL_ACCESS_TOKEN is ignored by logout: it logs out the saved session file");
  }
  std::string file = session_path(options);
  auto session = matrix::load_session(file);
  if (!session) {
    out->error("not logged in: " + session.error().message);
    return kExitHomeserver;
  }
  HomeserverUrl url = check_homeserver_url(session->homeserver, options.has("insecure-http"));
  if (!url.error.empty()) {
    out->error(url.error);
    return kExitUsage;
  }
  if (!url.warning.empty()) out->warning(url.warning);
  matrix::Client client(cli_client_config(url.url, file, options.has("insecure-http")));
  client.set_session(*session);
  auto done = client.logout();
  bool already = !done && done.error().code == matrix::ErrorCode::token_revoked;
  if (!done && !already) {
    out->error(done.error().message, matrix::to_string(done.error().code));
    return exit_code_for(done.error());
  }
  // Already logged out on the server: nothing left to end there, and the file is useless. Either way the device is
  // gone, and its encryption keys with it.
  std::remove(file.c_str());
  PhoneConfig store_config;
  store_config.session_path = file;
  std::string store = encryption_store_path(store_config);
  std::error_code ec;
  bool had_store = !store.empty() && std::filesystem::exists(store, ec);
  if (had_store) std::filesystem::remove_all(store, ec);
  if (ec) {
    out->error("logged out, but the encryption store " + store + " could not be deleted (" + ec.message() +
               "); delete it by hand");
    return kExitHomeserver;
  }
  std::string removed = file + (had_store ? " and the encryption store " + store : std::string());
  out->fact("logout",
            {{"user_id", session->user_id},
             {"device_id", session->device_id},
             {"session_file", file},
             {"encryption_store", had_store ? store : std::string()}},
            already ? session->user_id + " was already logged out on " + session->homeserver + "; removed " + removed
                    : "logged out " + session->user_id + " (device " + session->device_id + ") on " +
                          session->homeserver + "; removed " + removed);
  return kExitOk;
}

}  // namespace mxcall::tools
