// The pieces of the mxcall program that need no homeserver: the option parser, the exit-code table, the homeserver
// URL check, the recording names and the terminal meters. End to end: tests/cli.
#include <gtest/gtest.h>

#include "account.hpp"
#include "cli_options.hpp"
#include "exit_codes.hpp"
#include "phone_setup.hpp"
#include "text_output.hpp"

namespace mxcall::tools {
namespace {

const std::vector<OptionSpec> kSpecs = {
    {"seconds", "N", "how long"},
    {"json", "", "JSON lines"},
    {"from", "USER", "who", true},
};

TEST(CliOptions, LongOptionsValuesFlagsAndPositionals) {
  auto parsed = parse_options({"@bob:x", "--seconds", "5", "--json", "--from=@a:x,@b:x", "--from", "@c:x"}, kSpecs);
  ASSERT_EQ(parsed.error, "");
  EXPECT_EQ(parsed.options.positionals(), std::vector<std::string>{"@bob:x"});
  EXPECT_EQ(parsed.options.value("seconds"), "5");
  EXPECT_TRUE(parsed.options.has("json"));
  EXPECT_EQ(parsed.options.list("from"), (std::vector<std::string>{"@a:x", "@b:x", "@c:x"}));
  EXPECT_FALSE(parsed.options.has("help"));
}

TEST(CliOptions, DoubleDashEndsOptions) {
  auto parsed = parse_options({"--", "--json"}, kSpecs);
  ASSERT_EQ(parsed.error, "");
  EXPECT_EQ(parsed.options.positionals(), std::vector<std::string>{"--json"});
  EXPECT_FALSE(parsed.options.has("json"));
}

TEST(CliOptions, ErrorsNameTheOption) {
  EXPECT_EQ(parse_options({"--nope"}, kSpecs).error, "unknown option --nope");
  EXPECT_EQ(parse_options({"--seconds"}, kSpecs).error, "--seconds needs a value (N)");
  EXPECT_EQ(parse_options({"--json=1"}, kSpecs).error, "--json takes no value");
  EXPECT_EQ(parse_options({"--seconds", "1", "--seconds", "2"}, kSpecs).error, "--seconds is given twice");
  EXPECT_EQ(parse_options({"-x"}, kSpecs).error, "unknown option -x (options are spelt --name)");
  EXPECT_TRUE(parse_options({"-h"}, kSpecs).options.has("help"));
}

TEST(CliOptions, NumbersAreCheckedAgainstTheirRange) {
  std::string error;
  auto parsed = parse_options({"--seconds", "2.5"}, kSpecs);
  EXPECT_EQ(number_option(parsed.options, "seconds", 0.1, 10, &error), 2.5);
  EXPECT_EQ(error, "");
  for (const char* bad : {"0", "11", "abc", "5s", "nan", "inf", ""}) {
    error.clear();
    auto value = number_option(parse_options({"--seconds", bad}, kSpecs).options, "seconds", 0.1, 10, &error);
    EXPECT_FALSE(value) << bad;
    EXPECT_EQ(error, "--seconds " + std::string(bad) + ": expected a number from 0.1 to 10") << bad;
  }
}

TEST(CliOptions, HelpListsEveryOptionAligned) {
  EXPECT_EQ(format_options(kSpecs),
            "  --seconds N  how long\n"
            "  --json       JSON lines\n"
            "  --from USER  who\n");
}

TEST(ExitCodes, EveryEndedReasonHasOneStatus) {
  struct Case {
    CallEnd end;
    int status;
    std::string_view outcome;
  };
  const std::vector<Case> cases = {
      {{"user_hangup", false, true, true}, kExitOk, "completed"},
      {{"user_hangup", true, true, false}, kExitOk, "completed"},
      {{"", false, true, false}, kExitOk, "completed"},  // a v0 hangup without reason (rule 49)
      {{"some_future_reason", false, true, true}, kExitOk, "completed"},
      {{"rejected", false, false, true}, kExitRejected, "rejected"},
      {{"rejected", true, false, false}, kExitOk, "rejected_here"},
      {{"user_busy", false, false, true}, kExitRejected, "busy"},
      {{"user_busy", true, false, false}, kExitOk, "busy_here"},         // answer --busy declined it, as asked
      {{"transferred", true, true, false}, kExitOk, "transferred"},      // the replacement call goes on (rule T8)
      {{"user_hangup", false, false, true}, kExitRejected, "rejected"},  // a v0 callee's reject (rule 43)
      {{"invite_timeout", true, false, true}, kExitNoAnswer, "not_answered"},
      {{"invite_timeout", false, false, false}, kExitNoAnswer, "not_answered"},
      {{"user_hangup", true, false, true}, kExitNoAnswer, "cancelled"},
      {{"user_hangup", false, false, false}, kExitNoAnswer, "missed"},
      {{"ice_failed", true, false, true}, kExitMedia, "ice_failed"},
      {{"ice_timeout", false, true, false}, kExitMedia, "ice_failed"},
      {{"user_media_failed", false, false, true}, kExitMedia, "media_failed"},
      {{"unknown_error", false, true, true}, kExitMedia, "failed"},
      {{"answered_elsewhere", false, false, false}, kExitOk, "answered_elsewhere"},
      {{"replaced", true, false, true}, kExitOk, "replaced"},
  };
  for (const Case& c : cases) {
    EndOutcome got = classify_end(c.end);
    EXPECT_EQ(got.exit_code, c.status) << c.end.reason << " local=" << c.end.local;
    EXPECT_EQ(got.outcome, c.outcome) << c.end.reason << " local=" << c.end.local;
  }
  EXPECT_FALSE(classify_end({"answered_elsewhere", false, false, false}).counts);
  EXPECT_FALSE(classify_end({"replaced", true, false, true}).counts);
  EXPECT_FALSE(classify_end({"user_busy", true, false, false}).counts);
  EXPECT_FALSE(classify_end({"transferred", true, true, false}).counts);
  EXPECT_TRUE(classify_end({"user_hangup", false, true, false}).counts);
}

TEST(HomeserverUrl, HttpsOrLoopbackHttpIsQuietPlainHttpElsewhereNeedsInsecureHttp) {
  EXPECT_EQ(check_homeserver_url("https://matrix.example.org/", false).url, "https://matrix.example.org");
  EXPECT_EQ(check_homeserver_url("https://matrix.example.org", false).warning, "");
  for (const char* loopback : {"http://127.0.0.1:8008", "http://localhost:8008", "http://[::1]:8008"}) {
    auto url = check_homeserver_url(loopback, false);
    EXPECT_EQ(url.error, "") << loopback;
    EXPECT_EQ(url.warning, "") << loopback;
  }
  // Refused with the homeserver client's own message, which names the option.
  auto refused = check_homeserver_url("http://matrix.example.org/", false);
  EXPECT_NE(refused.error.find("--insecure-http"), std::string::npos) << refused.error;
  EXPECT_EQ(refused.warning, "");
  auto allowed = check_homeserver_url("http://matrix.example.org/", true);
  EXPECT_EQ(allowed.error, "");
  EXPECT_EQ(allowed.url, "http://matrix.example.org");
  EXPECT_NE(allowed.warning.find("unencrypted"), std::string::npos);
  // A DNS name that starts with "127." is not loopback.
  EXPECT_NE(check_homeserver_url("http://127.0.0.1.example.org", false).error, "");
  EXPECT_NE(check_homeserver_url("http://127.0.0.1.example.org", true).warning, "");
  EXPECT_NE(check_homeserver_url("matrix.example.org", true).error.find("not a homeserver URL"), std::string::npos);
  EXPECT_NE(check_homeserver_url("https://", false).error.find("names no host"), std::string::npos);
  EXPECT_NE(check_homeserver_url("http:///path", true).error.find("names no host"), std::string::npos);
}

TEST(MediaSettings, RecordingNamesPerCall) {
  MediaSettings numbered;
  numbered.record_pattern = "/tmp/call-{n}.wav";
  EXPECT_EQ(std::get<audio_sink::WavFile>(numbered.for_call(3).audio_sink).path, "/tmp/call-3.wav");
  MediaSettings plain;
  plain.record_pattern = "/tmp/heard.wav";
  EXPECT_EQ(std::get<audio_sink::WavFile>(plain.for_call(1).audio_sink).path, "/tmp/heard.wav");
  EXPECT_EQ(std::get<audio_sink::WavFile>(plain.for_call(2).audio_sink).path, "/tmp/heard-2.wav");
  EXPECT_TRUE(std::holds_alternative<audio_sink::Null>(MediaSettings{}.for_call(1).audio_sink));
}

TEST(TextOutput, MetersAndElapsedTime) {
  EXPECT_EQ(level_meter(std::nullopt, 4), "[----]");
  EXPECT_EQ(level_meter(0.5, 4), "[##--]");
  EXPECT_EQ(level_meter(7.0, 4), "[####]");  // a level out of range is clamped, never overflows the meter
  EXPECT_EQ(format_elapsed(0), "00:00");
  EXPECT_EQ(format_elapsed(61.4), "01:01");
  EXPECT_EQ(format_elapsed(3723), "1:02:03");
}

}  // namespace
}  // namespace mxcall::tools
