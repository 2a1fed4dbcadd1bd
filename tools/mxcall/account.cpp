#include "account.hpp"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "exit_codes.hpp"
#include "mxcall/matrix/session.hpp"

namespace mxcall::tools {

AccountCommand begin_account_command(const std::vector<std::string>& args, const std::vector<OptionSpec>& specs,
                                     const std::string& name, const std::string& usage, std::size_t max_arguments) {
  ParseOutcome parsed = parse_options(args, specs);
  AccountCommand command{std::move(parsed.options), nullptr, std::nullopt};
  command.out = Output::make(name, command.options.has("json"), false);
  std::string error = parsed.error;
  if (error.empty() && command.options.positionals().size() > max_arguments) {
    error = max_arguments == 0 ? name + " takes no arguments" : "too many arguments";
  }
  if (!error.empty()) {
    command.out->error(error);
    std::cerr << usage;
    command.done = kExitUsage;
  } else if (command.options.has("help")) {
    std::cout << usage;
    command.done = kExitOk;
  }
  return command;
}

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

std::string session_path(const ParsedOptions& options) {
  if (auto path = options.value("session")) return *path;
  if (auto path = env("MXCALL_SESSION"); !path.empty()) return path;
  if (auto config = env("XDG_CONFIG_HOME"); !config.empty()) return config + "/mxcall/session.json";
  if (auto home = env("HOME"); !home.empty()) return home + "/.config/mxcall/session.json";
  return "mxcall-session.json";
}

HomeserverUrl check_homeserver_url(const std::string& url, bool allow_insecure_http) {
  HomeserverUrl out;
  out.url = url;
  bool https = out.url.rfind("https://", 0) == 0;
  bool http = out.url.rfind("http://", 0) == 0;
  if (!https && !http) {
    out.error = "'" + url + "' is not a homeserver URL; give the client API base URL, e.g. https://matrix.example.org";
    return out;
  }
  const std::size_t scheme = https ? 8 : 7;
  while (out.url.size() > scheme && out.url.back() == '/') out.url.pop_back();
  std::string rest = out.url.substr(scheme);
  if (rest.substr(0, rest.find('/')).empty()) {
    out.error = "'" + url + "' names no host; give the client API base URL, e.g. https://matrix.example.org";
    return out;
  }
  // Whether plain http may be used is the homeserver client's decision (loopback, or allowed explicitly): asked
  // once as the user asked, and once without the permission to learn whether it was needed (then warn).
  matrix::ClientConfig config;
  config.homeserver = out.url;
  config.allow_insecure_http = allow_insecure_http;
  if (auto refused = matrix::check_homeserver_url(config)) {
    out.error = refused->message;
    return out;
  }
  config.allow_insecure_http = false;
  if (allow_insecure_http && matrix::check_homeserver_url(config)) {
    out.warning =
        out.url + " is plain http: the password and access token cross the network unencrypted (--insecure-http)";
  }
  return out;
}

namespace {

// Echo off on the terminal for as long as the password is typed, restored whatever happens.
class EchoOff {
 public:
  explicit EchoOff(int fd) : fd_(fd) {
    if (::tcgetattr(fd_, &saved_) != 0) return;
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    active_ = ::tcsetattr(fd_, TCSAFLUSH, &quiet) == 0;
  }
  ~EchoOff() {
    if (active_) ::tcsetattr(fd_, TCSAFLUSH, &saved_);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

std::string first_line(std::string text) {
  if (auto nl = text.find_first_of("\r\n"); nl != std::string::npos) text.resize(nl);
  return text;
}

// The first line of `path`, a secret (`what`: "password", "passphrase"); nullopt and `error` when it cannot be read
// or is empty.
std::optional<std::string> secret_from_file(const std::string& path, const std::string& what, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot read the " + what + " file " + path + "; check the path and its permissions";
    return std::nullopt;
  }
  std::string text((std::istreambuf_iterator<char>(in)), {});
  std::string secret = first_line(text);
  if (secret.empty()) {
    *error = "the " + what + " file " + path + " is empty; put the " + what + " on its first line";
    return std::nullopt;
  }
  return secret;
}

}  // namespace

std::optional<std::string> read_passphrase(const ParsedOptions& options, std::string* error) {
  if (auto file = options.value("passphrase-file")) return secret_from_file(*file, "passphrase", error);
  return env("MXCALL_PASSPHRASE");
}

std::string format_fingerprint(const std::string& key) {
  std::string out;
  for (std::size_t i = 0; i < key.size(); i += 4) {
    if (!out.empty()) out += ' ';
    out += key.substr(i, 4);
  }
  return out;
}

std::string store_error_hint(const matrix::Error& error) {
  if (error.code != matrix::ErrorCode::crypto_store) return error.message;
  if (error.message.find("[wrong_passphrase]") != std::string::npos ||
      error.message.find("[store_unreadable]") != std::string::npos) {
    return error.message +
           " (mxcall takes the passphrase from --passphrase-file FILE or $MXCALL_PASSPHRASE: give the one the store "
           "was made with, or start over with new keys: `mxcall logout`, then `mxcall login`)";
  }
  if (error.message.find("[store_missing]") != std::string::npos) {
    return error.message + " (`mxcall logout`, then `mxcall login`)";
  }
  return error.message;
}

std::optional<std::string> read_password(const ParsedOptions& options, const std::string& user,
                                         const std::string& homeserver, std::string* error) {
  if (auto file = options.value("password-file")) return secret_from_file(*file, "password", error);
  if (auto password = env("MXCALL_PASSWORD"); !password.empty()) return password;

  std::FILE* tty = std::fopen("/dev/tty", "r+");
  if (tty == nullptr) {
    *error = "no password: there is no terminal to ask on; set MXCALL_PASSWORD or use --password-file FILE";
    return std::nullopt;
  }
  std::fprintf(tty, "Password for %s on %s: ", user.c_str(), homeserver.c_str());
  std::fflush(tty);
  std::string password;
  {
    EchoOff quiet(::fileno(tty));
    char buffer[1024];
    if (std::fgets(buffer, sizeof buffer, tty) != nullptr) password = first_line(buffer);
  }
  std::fputc('\n', tty);
  std::fclose(tty);
  if (password.empty()) {
    *error = "no password was typed; type it at the prompt, or set MXCALL_PASSWORD or use --password-file FILE";
    return std::nullopt;
  }
  return password;
}

matrix::ClientConfig cli_client_config(const std::string& homeserver, const std::string& session_file,
                                       bool allow_insecure_http) {
  matrix::ClientConfig config;
  config.homeserver = homeserver;
  config.allow_insecure_http = allow_insecure_http;
  config.session_path = session_file;
  config.connect_timeout = std::chrono::milliseconds{10000};
  config.retry.max_total = std::chrono::milliseconds{30000};
  return config;
}

PhoneConfig phone_config_for(const SessionSource& source, const std::string& passphrase) {
  PhoneConfig config;
  config.homeserver = source.homeserver;
  config.session_path = source.session_file;
  config.access_token = source.access_token;
  config.allow_insecure_http = source.allow_insecure_http;
  config.encryption.passphrase = passphrase;
  return config;
}

SessionSource find_session(const ParsedOptions& options) {
  SessionSource source;
  source.allow_insecure_http = options.has("insecure-http");
  std::string homeserver;
  if (auto token = env("MXCALL_ACCESS_TOKEN"); !token.empty()) {
    homeserver = options.value("homeserver").value_or(env("MXCALL_HOMESERVER"));
    if (homeserver.empty()) {
      source.error = "MXCALL_ACCESS_TOKEN is set but no homeserver: set MXCALL_HOMESERVER or give --homeserver URL";
      source.exit_code = kExitUsage;
      return source;
    }
    source.access_token = token;
  } else {
    source.session_file = session_path(options);
    std::error_code ec;
    if (!std::filesystem::exists(source.session_file, ec)) {
      source.error = "not logged in: there is no session file at " + source.session_file +
                     "; run `mxcall login HOMESERVER USER` first (or set MXCALL_ACCESS_TOKEN and MXCALL_HOMESERVER)";
      source.exit_code = kExitHomeserver;
      return source;
    }
    auto session = matrix::load_session(source.session_file);
    if (!session) {
      source.error = session.error().message;
      source.exit_code = kExitHomeserver;
      return source;
    }
    homeserver = session->homeserver;
  }
  HomeserverUrl url = check_homeserver_url(homeserver, source.allow_insecure_http);
  if (!url.error.empty()) {
    source.error = url.error;
    source.exit_code = kExitUsage;
    return source;
  }
  source.homeserver = url.url;
  source.warning = url.warning;
  return source;
}

std::variant<std::unique_ptr<matrix::Client>, int> logged_in_or_exit(const ParsedOptions& options, Output& out,
                                                                     SessionSource* used) {
  SessionSource source = find_session(options);
  if (!source.error.empty()) {
    out.error(source.error);
    return source.exit_code;
  }
  if (!source.warning.empty()) out.warning(source.warning);
  auto client = logged_in_client(source);
  if (!client) {
    out.error(client.error().message, matrix::to_string(client.error().code));
    return exit_code_for(client.error());
  }
  if (used != nullptr) *used = std::move(source);
  return std::move(*client);
}

matrix::Result<std::unique_ptr<matrix::Client>> logged_in_client(const SessionSource& source) {
  auto client = std::make_unique<matrix::Client>(
      cli_client_config(source.homeserver, source.session_file, source.allow_insecure_http));
  auto session = source.access_token.empty() ? client->resume() : client->use_access_token(source.access_token);
  if (!session) return session.error();
  return client;
}

}  // namespace mxcall::tools
