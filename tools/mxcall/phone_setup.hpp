// What `call` and `answer` share before a call exists: their common options, the media choice (--tone, --play,
// --record, --video, devices), and the PhoneConfig built from the session source and the environment.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "cli_options.hpp"
#include "mxcall/phone.hpp"
#include "output.hpp"

namespace mxcall::tools {

// Options of both call commands: session, output and media.
std::vector<OptionSpec> shared_call_options();
// The environment variables both call commands read, for their --help.
extern const char* const kCallEnvironmentHelp;

struct MediaSettings {
  MediaChoice choice;
  bool video = false;
  std::string record_pattern;  // --record as given; "{n}" is replaced by the call's number (1, 2, ...)
  // The media of call number `n` (counted from 1): the recording path with {n} replaced; a pattern without {n}
  // records call 2 and later to NAME-2.wav, ...
  MediaChoice for_call(int n) const;
};
std::optional<MediaSettings> media_settings(const ParsedOptions& options, std::string* error);

struct PhoneSetup {
  PhoneConfig config;
  std::string error;  // non-empty: print it and exit with exit_code
  int exit_code = 0;
  std::string warning;
};
// `json`: stats once a second; otherwise four times a second for the level meters.
PhoneSetup phone_setup(const ParsedOptions& options, bool json);

// Between parsing and the phone, for `call` and `answer`: a non-empty `usage_error` ends the command (2, with a
// pointer to --help); otherwise the PhoneConfig, or the status of the session error (printed).
std::variant<PhoneConfig, int> phone_config_or_exit(Output& out, const ParsedOptions& options,
                                                    const std::string& usage_error, std::string_view command);

}  // namespace mxcall::tools
