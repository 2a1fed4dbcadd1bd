// Where the session lives and how a command gets a homeserver session: the session file path, the homeserver URL
// check, the password sources, and a logged-in client for login/logout/whoami. The password is never taken from the
// command line (other users can read it in the process list).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "cli_options.hpp"
#include "exit_codes.hpp"
#include "mxcall/matrix/client.hpp"
#include "mxcall/phone.hpp"
#include "output.hpp"

namespace mxcall::tools {

// The start of login, whoami and logout: parses `args`, makes the output (--json or text), and handles --help and
// usage errors (too many arguments included). `done` holds the exit status when the command has nothing more to do.
struct AccountCommand {
  ParsedOptions options;
  std::unique_ptr<Output> out;
  std::optional<int> done;
};
AccountCommand begin_account_command(const std::vector<std::string>& args, const std::vector<OptionSpec>& specs,
                                     const std::string& name, const std::string& usage, std::size_t max_arguments);

// The value of an environment variable, or "" when unset.
std::string env(const char* name);

// --session FILE, else MXCALL_SESSION, else $XDG_CONFIG_HOME/mxcall/session.json, else ~/.config/mxcall/session.json.
std::string session_path(const ParsedOptions& options);

// --session and --homeserver as the commands that use a saved session (or $MXCALL_ACCESS_TOKEN) describe them.
inline constexpr OptionSpec kSessionOption = {"session", "FILE", "the session file (default: as for mxcall login)"};
inline constexpr OptionSpec kTokenHomeserverOption = {
    "homeserver", "URL", "with $MXCALL_ACCESS_TOKEN: the homeserver (default $MXCALL_HOMESERVER)"};

// --insecure-http, for every command that talks to a homeserver. constexpr: the commands' option tables are
// initialised from it at namespace scope in other files.
inline constexpr OptionSpec kInsecureHttpOption = {"insecure-http", "",
                                                   "allow a plain http:// homeserver that is not loopback (the "
                                                   "password and\naccess token then cross the network unencrypted)"};

// Whether a homeserver URL is acceptable to the CLI: http(s) with a host, trailing slashes dropped. Plain http is
// decided by matrix::check_homeserver_url (the client's rule): to anything but loopback it is refused (`error`, exit
// status 2) unless `allow_insecure_http` (--insecure-http), and then `warning` says the password and access token
// cross the network in clear text.
struct HomeserverUrl {
  std::string url;      // normalised
  std::string error;    // non-empty: not usable (what to write instead)
  std::string warning;  // non-empty: usable, but the user should know
};
HomeserverUrl check_homeserver_url(const std::string& url, bool allow_insecure_http);

// The password for `user`: --password-file FILE (its first line), else MXCALL_PASSWORD, else asked on the terminal
// without echo. `error` says which source to use when none is available.
std::optional<std::string> read_password(const ParsedOptions& options, const std::string& user,
                                         const std::string& homeserver, std::string* error);

// --passphrase-file, for every command that opens the device's end-to-end encryption store.
inline constexpr OptionSpec kPassphraseOption = {"passphrase-file", "FILE",
                                                 "the encryption store's passphrase, from the first line of FILE\n"
                                                 "(default: $MXCALL_PASSPHRASE; none: the store is not encrypted)"};

// The encryption store's passphrase: --passphrase-file FILE (its first line), else MXCALL_PASSPHRASE, else empty (the
// store is optional-passphrase: without one its secrets are not encrypted at rest). nullopt and `error` when the
// file cannot be read.
std::optional<std::string> read_passphrase(const ParsedOptions& options, std::string* error);

// An Ed25519 key (base64) as clients show a session key: groups of four characters.
std::string format_fingerprint(const std::string& key);

// What to do about an error from the encryption store (ErrorCode::crypto_store), for the CLI's own options.
std::string store_error_hint(const matrix::Error& error);

// Client settings for the CLI: the library's retry policy, a shorter connect timeout, the session file.
matrix::ClientConfig cli_client_config(const std::string& homeserver, const std::string& session_file,
                                       bool allow_insecure_http);

// The exit status of a homeserver or session error: login refused, unreachable, token revoked, no such room, ...
inline int exit_code_for(const matrix::Error& /*error*/) { return kExitHomeserver; }

// Where a logged-in command's session comes from: MXCALL_ACCESS_TOKEN (with MXCALL_HOMESERVER or --homeserver) or
// the session file. `error` (with exit_code) when neither is there.
struct SessionSource {
  std::string homeserver;
  std::string session_file;          // empty when the access token is used
  std::string access_token;          // empty when the session file is used
  bool allow_insecure_http = false;  // --insecure-http
  std::string warning;               // non-empty: plain http allowed by --insecure-http (print it)
  std::string error;
  int exit_code = 0;
};
SessionSource find_session(const ParsedOptions& options);

// A client logged in from `source` (resumed and checked with whoami), or the homeserver's error.
matrix::Result<std::unique_ptr<matrix::Client>> logged_in_client(const SessionSource& source);

// The Phone settings of a session found by find_session, with the encryption store's passphrase.
PhoneConfig phone_config_for(const SessionSource& source, const std::string& passphrase);

// find_session and logged_in_client for a command: the client (and in `used` where its session came from), or the
// exit status after the error was printed.
std::variant<std::unique_ptr<matrix::Client>, int> logged_in_or_exit(const ParsedOptions& options, Output& out,
                                                                     SessionSource* used = nullptr);

}  // namespace mxcall::tools
