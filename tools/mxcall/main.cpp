// mxcall: the command-line program. Each subcommand lives in its own file.
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "exit_codes.hpp"
#include "replay.hpp"
#include "validate_command.hpp"
#ifdef MXCALL_HAS_RUNTIME
#include "commands.hpp"
#include "demo_command.hpp"
#endif

namespace {

constexpr std::string_view kUsage =
    "usage: mxcall <command> [options]          (mxcall <command> --help: that command's options)\n"
    "Matrix 1:1 voice and video calls (m.call.*) from the command line.\n"
    "\n"
#ifdef MXCALL_HAS_RUNTIME
    "homeserver session:\n"
    "  login [HOMESERVER] [USER]   log in (password from a prompt, --password-file or $MXCALL_PASSWORD;\n"
    "                              or $MXCALL_ACCESS_TOKEN) and save the session file\n"
    "  whoami                      show who the saved session is, and its session key (Ed25519 fingerprint)\n"
    "  logout                      log the saved session out and delete its file and encryption store\n"
    "  create-dm @user [--encrypted]\n"
    "                              create a direct chat with a user (end-to-end encrypted with --encrypted)\n"
    "  verify [@user [DEVICE]] [--wait] [--bootstrap]\n"
    "                              verify another device by comparing emoji (SAS); set up cross-signing\n"
    "calls:\n"
    "  call <@user|!room|#alias>   place a call (finding or creating the DM for a user), stay connected\n"
    "                              --seconds N or until Ctrl-C, then hang up\n"
    "  answer                      wait for calls and answer (--auto), reject (--reject) or let them ring\n"
    "  transfer <@peer> <@target>  call @peer, then transfer it to @target (MSC2747)\n"
    "  demo [--video] [--seconds N] [--json]\n"
    "                              a real call between two parties in this process (127.0.0.1)\n"
#else
    "(built without the homeserver client or GStreamer: login, whoami, logout, call, answer and demo are absent)\n"
#endif
    "tools:\n"
    "  validate [FILE...]          check m.call.* room events\n"
    "  replay [SCRIPT]             run the call engine over a scripted timeline (docs/replay.md)\n"
    "\n"
    "Exit status: 0 a call connected and ended normally (or the command did what was asked), 2 usage error,\n"
    "3 rejected or busy, 4 not answered in time, 5 media or ICE failure, 6 login or homeserver error,\n"
    "130 a second Ctrl-C quit without waiting. docs/cli.md documents every command, option and output field.\n"
    "Environment: MXCALL_SESSION, MXCALL_HOMESERVER, MXCALL_USER, MXCALL_PASSWORD, MXCALL_ACCESS_TOKEN,\n"
    "MXCALL_PASSPHRASE (the encryption store's).\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace mxcall::tools;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    (args.empty() ? std::cerr : std::cout) << kUsage;
    return args.empty() ? kExitUsage : kExitOk;
  }
  std::string command = args[0];
  args.erase(args.begin());
#ifdef MXCALL_HAS_RUNTIME
  if (command == "login") return run_login(args);
  if (command == "logout") return run_logout(args);
  if (command == "whoami") return run_whoami(args);
  if (command == "create-dm") return run_create_dm(args);
  if (command == "call") return run_call(args);
  if (command == "answer") return run_answer(args);
  if (command == "transfer") return run_transfer(args);
  if (command == "verify") return run_verify(args);
  if (command == "demo") return run_demo(args);
#endif
  if (command == "validate") return run_validate(args);
  if (command == "replay") return run_replay_command(args);
  std::cerr << "mxcall: unknown command '" << command << "'\n" << kUsage;
  return kExitUsage;
}
