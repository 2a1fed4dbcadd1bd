// mxcall login: a password (prompt, --password-file, MXCALL_PASSWORD) or an access token (MXCALL_ACCESS_TOKEN)
// becomes a session file (0600) that call, answer, whoami and logout use.
#include <filesystem>
#include <iostream>

#include "account.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"
#include "mxcall/matrix/session.hpp"
#include "mxcall/phone.hpp"
#include "output.hpp"

namespace mxcall::tools {
namespace {

const std::vector<OptionSpec> kOptions = {
    {"password-file", "FILE", "read the password from the first line of FILE"},
    {"device-id", "ID", "log in as this existing device (default: the homeserver makes a new one)"},
    kPassphraseOption,
    {"session", "FILE",
     "where to save the session (default: $MXCALL_SESSION or\n"
     "$XDG_CONFIG_HOME/mxcall/session.json, else ~/.config/mxcall/session.json)"},
    kInsecureHttpOption,
    {"json", "", "print the result as one JSON object (docs/cli.md)"},
    {"help", "", "show this help"},
};

std::string usage() {
  return "usage: mxcall login [HOMESERVER] [USER] [options]\n"
         "Logs in to HOMESERVER (the client API base URL, e.g. https://matrix.example.org; default "
         "$MXCALL_HOMESERVER)\n"
         "as USER (@alice:example.org or alice; default $MXCALL_USER) and saves the session (mode 0600).\n"
         "The password comes from --password-file, else $MXCALL_PASSWORD, else a prompt on the terminal; it is never\n"
         "taken from the command line. Without USER and with $MXCALL_ACCESS_TOKEN set, that token is used instead.\n"
         "The device's end-to-end encryption keys are made and uploaded now, in a store beside the session file\n"
         "(<session>.crypto, mode 0600; encrypted with the passphrase of --passphrase-file or $MXCALL_PASSPHRASE when\n"
         "given); `mxcall whoami` shows the fingerprint to compare in another client.\n"
         "options:\n" +
         format_options(kOptions) +
         "Exit status: 0 logged in, 2 usage error, 6 login or homeserver error (the message says which).\n";
}

}  // namespace

int run_login(const std::vector<std::string>& args) {
  AccountCommand command = begin_account_command(args, kOptions, "login", usage(), 2);
  if (command.done) return *command.done;
  const ParsedOptions& options = command.options;
  Output* out = command.out.get();
  const auto& positional = options.positionals();
  std::string homeserver = positional.size() > 0 ? positional[0] : env("MXCALL_HOMESERVER");
  std::string user = positional.size() > 1 ? positional[1] : env("MXCALL_USER");
  std::string token = env("MXCALL_ACCESS_TOKEN");
  if (homeserver.empty()) {
    out->error(
        "no homeserver: give its URL (mxcall login https://matrix.example.org @alice:example.org) or set "
        "MXCALL_HOMESERVER");
    return kExitUsage;
  }
  HomeserverUrl url = check_homeserver_url(homeserver, options.has("insecure-http"));
  if (!url.error.empty()) {
    out->error(url.error);
    return kExitUsage;
  }
  if (!url.warning.empty()) out->warning(url.warning);
  if (user.empty() && token.empty()) {
    out->error("no user: give one (mxcall login " + url.url +
               " @alice:example.org), set MXCALL_USER, or set "
               "MXCALL_ACCESS_TOKEN to use an access token");
    return kExitUsage;
  }

  std::string file = session_path(options);
  std::error_code ec;
  std::filesystem::path parent = std::filesystem::path(file).parent_path();
  if (!parent.empty() && !std::filesystem::exists(parent, ec)) {
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      out->error("cannot create the folder " + parent.string() + " for the session file (" + ec.message() +
                 "); choose another place with --session FILE");
      return kExitHomeserver;
    }
    std::filesystem::permissions(parent, std::filesystem::perms::owner_all, ec);
  }
  std::string why;
  auto passphrase = read_passphrase(options, &why);
  if (!passphrase) {
    out->error(why);
    return kExitUsage;
  }
  auto old = matrix::load_session(file);
  if (old) {
    out->warning("replacing the saved session of " + old->user_id + " (device " + old->device_id +
                 "); that device stays logged in on its homeserver: run `mxcall logout` first to end it");
  }

  matrix::Client client(cli_client_config(url.url, file, options.has("insecure-http")));
  matrix::Result<matrix::Session> session = matrix::Error{};
  if (!user.empty()) {
    auto password = read_password(options, user, url.url, &why);
    if (!password) {
      out->error(why);
      return kExitUsage;
    }
    session = client.login_password(user, *password, options.value("device-id").value_or(""));
  } else {
    session = client.use_access_token(token);
  }
  if (!session) {
    out->error(session.error().message, matrix::to_string(session.error().code));
    return exit_code_for(session.error());
  }
  PhoneConfig encryption_config;
  encryption_config.homeserver = url.url;
  encryption_config.session_path = file;
  encryption_config.allow_insecure_http = options.has("insecure-http");
  encryption_config.encryption.passphrase = *passphrase;
  std::string store = encryption_store_path(encryption_config);
  if (old && old->device_id != session->device_id && !store.empty()) {
    // The replaced session's device can no longer be used from here, so neither can its keys.
    std::filesystem::remove_all(store, ec);
  }
  auto identity = prepare_encryption(encryption_config, /*upload_keys=*/true);
  std::string fingerprint;
  std::string ed25519;
  if (!identity) {
    // The login itself worked (e.g. a token of a device whose keys are in another session file's store): say why
    // encrypted rooms will not work from this session, and what to do.
    out->warning(
        "end-to-end encryption could not be set up for this session, so encrypted rooms will not work "
        "from it: " +
        store_error_hint(identity.error()));
  } else if (*identity) {
    ed25519 = (*identity)->ed25519;
    fingerprint = format_fingerprint(ed25519);
  }
  std::string encryption = fingerprint.empty() ? (identity ? "; end-to-end encryption is off (built without it)" : "")
                                               : "; session key (Ed25519) " + fingerprint;
  out->fact("login",
            {{"user_id", session->user_id},
             {"device_id", session->device_id},
             {"homeserver", session->homeserver},
             {"session_file", file},
             {"ed25519", ed25519}},
            "logged in as " + session->user_id + " (device " + session->device_id + ") on " + session->homeserver +
                "; session saved to " + file + encryption);
  return kExitOk;
}

}  // namespace mxcall::tools
