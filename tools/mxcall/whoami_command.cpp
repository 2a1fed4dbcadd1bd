// mxcall whoami: who the saved session (or MXCALL_ACCESS_TOKEN) is, checked with the homeserver.
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
    kTokenHomeserverOption,
    kPassphraseOption,
    kInsecureHttpOption,
    {"json", "", "print the result as one JSON object (docs/cli.md)"},
    {"help", "", "show this help"},
};

std::string usage() {
  return "usage: mxcall whoami [options]\n"
         "Asks the homeserver who the saved session (or $MXCALL_ACCESS_TOKEN) is, and prints the user, device and\n"
         "homeserver, and the device's session key (its Ed25519 fingerprint, from the encryption store) to compare\n"
         "with what another client shows for this session.\n"
         "options:\n" +
         format_options(kOptions) +
         "Exit status: 0 the session is valid, 2 usage error, 6 not logged in, token revoked, homeserver error, or "
         "the\n"
         "encryption store does not open (wrong passphrase, missing: the message says what to do).\n";
}

}  // namespace

int run_whoami(const std::vector<std::string>& args) {
  AccountCommand command = begin_account_command(args, kOptions, "whoami", usage(), 0);
  if (command.done) return *command.done;
  const ParsedOptions& options = command.options;
  Output* out = command.out.get();
  SessionSource source;
  auto client = logged_in_or_exit(options, *out, &source);
  if (auto* status = std::get_if<int>(&client)) return *status;
  matrix::Session session = std::get<0>(client)->session();
  std::string where = source.session_file.empty() ? std::string("MXCALL_ACCESS_TOKEN") : source.session_file;
  std::string why;
  auto passphrase = read_passphrase(options, &why);
  if (!passphrase) {
    out->error(why);
    return kExitUsage;
  }
  PhoneConfig config = phone_config_for(source, *passphrase);
  auto identity = prepare_encryption(config, /*upload_keys=*/false);
  if (!identity) {
    out->error(store_error_hint(identity.error()), matrix::to_string(identity.error().code));
    return exit_code_for(identity.error());
  }
  std::string encryption =
      *identity ? "session key (Ed25519) " + format_fingerprint((*identity)->ed25519)
      : !encryption_built()
          ? std::string("end-to-end encryption: off (built without it)")
          : std::string("end-to-end encryption: off (an access token has no store; log in to get one)");
  out->fact("whoami",
            {{"user_id", session.user_id},
             {"device_id", session.device_id},
             {"homeserver", session.homeserver},
             {"session_file", source.session_file},
             {"ed25519", *identity ? (*identity)->ed25519 : std::string()},
             {"encryption_store", *identity ? (*identity)->store_path : std::string()}},
            session.user_id + " (device " + session.device_id + ") on " + session.homeserver + ", from " + where +
                "\n" + encryption);
  return kExitOk;
}

}  // namespace mxcall::tools
