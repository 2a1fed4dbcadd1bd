// mxcall create-dm: a new direct-message room with a user (invited, recorded in our m.direct), end-to-end encrypted
// with --encrypted, as Element creates them. `mxcall call @user` then finds and uses it.
#include "account.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"
#include "output.hpp"

namespace mxcall::tools {
namespace {

const std::vector<OptionSpec> kOptions = {
    {"encrypted", "", "turn on end-to-end encryption in the room (it can never be turned off)"},
    kSessionOption,
    kTokenHomeserverOption,
    kInsecureHttpOption,
    {"json", "", "print the result as one JSON object (docs/cli.md)"},
    {"help", "", "show this help"},
};

std::string usage() {
  return "usage: mxcall create-dm @user:server [options]\n"
         "Creates a direct-message room with the user (they are invited; the room is recorded as a direct chat in\n"
         "your account data, where `mxcall call @user:server` and other clients find it) and prints its room id.\n"
         "options:\n" +
         format_options(kOptions) +
         "Exit status: 0 created, 2 usage error, 6 not logged in or homeserver error (no such user, ...).\n";
}

}  // namespace

int run_create_dm(const std::vector<std::string>& args) {
  AccountCommand command = begin_account_command(args, kOptions, "create-dm", usage(), 1);
  if (command.done) return *command.done;
  const ParsedOptions& options = command.options;
  Output* out = command.out.get();
  if (options.positionals().empty() || !options.positionals()[0].starts_with('@') ||
      options.positionals()[0].find(':') == std::string::npos) {
    out->error("give the user to chat with as a full user id: mxcall create-dm @bob:example.org");
    return kExitUsage;
  }
  const std::string user = options.positionals()[0];
  auto client = logged_in_or_exit(options, *out);
  if (auto* status = std::get_if<int>(&client)) return *status;
  const bool encrypted = options.has("encrypted");
  auto room = std::get<0>(client)->create_dm(user, encrypted);
  if (!room) {
    out->error("could not create a direct chat with " + user + ": " + room.error().message,
               matrix::to_string(room.error().code));
    return exit_code_for(room.error());
  }
  out->fact("create_dm", {{"room_id", *room}, {"user_id", user}, {"encrypted", encrypted}},
            "created " + std::string(encrypted ? "an encrypted" : "a") + " direct chat with " + user + ": " + *room);
  return kExitOk;
}

}  // namespace mxcall::tools
