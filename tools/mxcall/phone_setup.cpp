#include "phone_setup.hpp"

#include <filesystem>
#include <iostream>

#include "account.hpp"
#include "exit_codes.hpp"

namespace mxcall::tools {

std::vector<OptionSpec> shared_call_options() {
  return {
      {"video", "", "a video call (a test pattern, or the camera given with --camera)"},
      {"tone", "HZ", "send a sine tone of HZ (default: 440 Hz)"},
      {"play", "WAV", "send WAV (16-bit PCM) once, then silence"},
      {"mic", "", "send the default microphone instead"},
      {"record", "WAV", "record what the peer says to WAV (48 kHz mono); {n} in the name is the call's number"},
      {"speaker", "", "play what the peer says on the default audio output"},
      {"camera", "DEVICE", "with --video: send this V4L2 camera (e.g. /dev/video0) instead of a test pattern"},
      {"seconds", "N", "stay connected N seconds, then hang up (default: until the peer hangs up or Ctrl-C)"},
      kSessionOption,
      kTokenHomeserverOption,
      kPassphraseOption,
      kInsecureHttpOption,
      {"json", "", "print one JSON object per line for every state change, event and the summary (docs/cli.md)"},
      {"verbose", "", "also show every m.call.* event sent, received or ignored (and why)"},
      {"help", "", "show this help"},
  };
}

const char* const kCallEnvironmentHelp =
    "Environment: MXCALL_SESSION (session file), MXCALL_ACCESS_TOKEN with MXCALL_HOMESERVER (use a token instead of\n"
    "the session file; no end-to-end encryption then), MXCALL_PASSPHRASE (the encryption store's passphrase),\n"
    "MXCALL_ICE_LOOPBACK_ONLY=1 (tests: gather only 127.0.0.1 ICE candidates).\n";

MediaChoice MediaSettings::for_call(int n) const {
  MediaChoice out = choice;
  if (record_pattern.empty()) return out;
  std::string path = record_pattern;
  if (auto at = path.find("{n}"); at != std::string::npos) {
    path.replace(at, 3, std::to_string(n));
  } else if (n > 1) {
    std::filesystem::path p(path);
    path = (p.parent_path() / (p.stem().string() + "-" + std::to_string(n) + p.extension().string())).string();
  }
  out.audio_sink = audio_sink::WavFile{path};
  return out;
}

std::optional<MediaSettings> media_settings(const ParsedOptions& options, std::string* error) {
  MediaSettings out;
  int sources = options.has("tone") + options.has("play") + options.has("mic");
  if (sources > 1) {
    *error = "give one of --tone, --play and --mic: a call sends one audio source";
    return std::nullopt;
  }
  if (options.has("record") && options.has("speaker")) {
    *error = "give --record or --speaker, not both";
    return std::nullopt;
  }
  if (options.has("tone")) {
    auto hz = number_option(options, "tone", 20, 20000, error);
    if (!hz) return std::nullopt;
    out.choice.audio_source = audio_source::Tone{*hz, 0.3};
  } else if (auto wav = options.value("play")) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(*wav, ec)) {
      *error = "--play " + *wav + ": no such file; give a 16-bit PCM WAV file";
      return std::nullopt;
    }
    out.choice.audio_source = audio_source::WavFile{*wav};
  } else if (options.has("mic")) {
    out.choice.audio_source = audio_source::Device{};
  }
  if (auto wav = options.value("record")) {
    std::filesystem::path parent = std::filesystem::path(*wav).parent_path();
    std::error_code ec;
    if (!parent.empty() && !std::filesystem::is_directory(parent, ec)) {
      *error = "--record " + *wav + ": the folder " + parent.string() + " does not exist";
      return std::nullopt;
    }
    out.record_pattern = *wav;
    out.choice.audio_sink = audio_sink::WavFile{*wav};
  } else if (options.has("speaker")) {
    out.choice.audio_sink = audio_sink::Device{};
  }
  out.video = options.has("video");
  if (auto camera = options.value("camera")) {
    if (!out.video) {
      *error = "--camera needs --video";
      return std::nullopt;
    }
    out.choice.video_source = video_source::V4l2{*camera};
  }
  return out;
}

PhoneSetup phone_setup(const ParsedOptions& options, bool json) {
  PhoneSetup out;
  SessionSource source = find_session(options);
  if (!source.error.empty()) {
    out.error = source.error;
    out.exit_code = source.exit_code;
    return out;
  }
  out.warning = source.warning;
  PhoneConfig& config = out.config;
  config.homeserver = source.homeserver;
  config.session_path = source.session_file;
  config.access_token = source.access_token;
  config.allow_insecure_http = source.allow_insecure_http;
  // Encrypted rooms: the device's store beside the session file (none with an access token: its keys would be lost).
  std::string why;
  auto passphrase = read_passphrase(options, &why);
  if (!passphrase) {
    out.error = why;
    out.exit_code = kExitUsage;
    return out;
  }
  config.encryption.passphrase = *passphrase;
  config.stats_interval = std::chrono::milliseconds{json ? 1000 : 250};
  // Tests run inside a network namespace with only lo: media must stay on 127.0.0.1 (docs/cli.md).
  config.media_defaults.loopback_only = env("MXCALL_ICE_LOOPBACK_ONLY") == "1";
  return out;
}

std::variant<PhoneConfig, int> phone_config_or_exit(Output& out, const ParsedOptions& options,
                                                    const std::string& usage_error, std::string_view command) {
  if (!usage_error.empty()) {
    out.error(usage_error);
    if (!options.has("json")) std::cerr << "(mxcall " << command << " --help lists the options)\n";
    return kExitUsage;
  }
  PhoneSetup setup = phone_setup(options, options.has("json"));
  if (!setup.error.empty()) {
    out.error(setup.error);
    return setup.exit_code;
  }
  if (!setup.warning.empty()) out.warning(setup.warning);
  return std::move(setup.config);
}

}  // namespace mxcall::tools
