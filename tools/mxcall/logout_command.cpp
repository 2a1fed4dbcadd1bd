// mxcall logout: ends the saved session on the homeserver (the access token stops working) and deletes the file.
#include <cstdio>
#include <iostream>

#include "account.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"
#include "output.hpp"

namespace mxcall::tools {
namespace {

const std::vector<OptionSpec> kOptions = {
    {"session", "FILE", "the session file (default: as for mxcall login)"},
    kInsecureHttpOption,
    {"json", "", "print the result as one JSON object (docs/cli.md)"},
    {"help", "", "show this help"},
};

std::string usage() {
  return "usage: mxcall logout [options]\n"
         "Logs the saved session out on its homeserver (its access token stops working, the device is deleted) and\n"
         "removes the session file. A session the homeserver no longer accepts is removed locally as well.\n"
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
  if (!done) {
    if (done.error().code == matrix::ErrorCode::token_revoked) {
      // Already logged out on the server: nothing left to end there, and the file is useless.
      std::remove(file.c_str());
      out->fact("logout", {{"user_id", session->user_id}, {"device_id", session->device_id}, {"session_file", file}},
                session->user_id + " was already logged out on " + session->homeserver + "; removed " + file);
      return kExitOk;
    }
    out->error(done.error().message, matrix::to_string(done.error().code));
    return exit_code_for(done.error());
  }
  out->fact("logout", {{"user_id", session->user_id}, {"device_id", session->device_id}, {"session_file", file}},
            "logged out " + session->user_id + " (device " + session->device_id + ") on " + session->homeserver +
                "; removed " + file);
  return kExitOk;
}

}  // namespace mxcall::tools
