// Every script in tests/replay/scripts runs through the engine and must print exactly its .expected file.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "replay.hpp"

namespace {

namespace fs = std::filesystem;

std::vector<std::string> scripts() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(MXCALL_REPLAY_DIR)) {
    if (entry.path().extension() == ".jsonl") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class ReplayScript : public ::testing::TestWithParam<std::string> {};

TEST_P(ReplayScript, PrintsItsExpectedOutput) {
  fs::path dir = MXCALL_REPLAY_DIR;
  std::ifstream script(dir / (GetParam() + ".jsonl"));
  ASSERT_TRUE(script) << "cannot open " << GetParam();
  std::ostringstream out, err;
  int status = mxcall::tools::run_replay(script, out, err);
  EXPECT_EQ(status, 0) << err.str();
  fs::path expected_file = dir / (GetParam() + ".expected");
  if (std::getenv("MXCALL_UPDATE_REPLAY") != nullptr) {
    // In CI the expected files are what is checked: rewriting them there would pass whatever the engine did.
    ASSERT_EQ(std::getenv("CI"), nullptr) << "MXCALL_UPDATE_REPLAY is refused under CI; update the files locally";
    std::ofstream(expected_file) << out.str();
    return;
  }
  ASSERT_TRUE(fs::exists(expected_file)) << "no " << expected_file << " yet (MXCALL_UPDATE_REPLAY=1 writes it)";
  EXPECT_EQ(out.str(), read_file(expected_file));
}

INSTANTIATE_TEST_SUITE_P(Scripts, ReplayScript, ::testing::ValuesIn(scripts()), [](const auto& param_info) {
  std::string name = param_info.param;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
});

TEST(ReplayErrors, NameTheLine) {
  std::istringstream script(
      "{\"t\":0,\"me\":{\"user_id\":\"@a:x\",\"device_id\":\"D\"}}\n"
      "{\"t\":5,\"do\":{\"action\":\"dance\",\"room_id\":\"!r\",\"call_id\":\"c\"}}\n");
  std::ostringstream out, err;
  EXPECT_EQ(mxcall::tools::run_replay(script, out, err), 2);
  EXPECT_EQ(err.str(), "replay: line 2: unknown action \"dance\"\n");
}

TEST(ReplayErrors, RefuseTimeGoingBackwardsAndAMissingFirstLine) {
  std::istringstream backwards("{\"t\":0,\"me\":{\"user_id\":\"@a:x\",\"device_id\":\"D\"}}\n{\"t\":10}\n{\"t\":9}\n");
  std::ostringstream out, err;
  EXPECT_EQ(mxcall::tools::run_replay(backwards, out, err), 2);
  EXPECT_EQ(err.str(), "replay: line 3: \"t\" went back in time (9 < 10)\n");
  std::istringstream no_me("{\"t\":0,\"sync\":[]}\n");
  std::ostringstream err2;
  EXPECT_EQ(mxcall::tools::run_replay(no_me, out, err2), 2);
  EXPECT_NE(err2.str().find("line 1: the first line is"), std::string::npos);
  std::istringstream not_json("{\"t\":0,\"me\":{\"user_id\":\"@a:x\",\"device_id\":\"D\"}}\nnope\n");
  std::ostringstream err3;
  EXPECT_EQ(mxcall::tools::run_replay(not_json, out, err3), 2);
  EXPECT_NE(err3.str().find("line 2: not JSON"), std::string::npos);
}

// A misspelt key would silently test something else than its author meant; an absurd time would overflow the
// engine's time arithmetic. Both stop the run and name the line.
TEST(ReplayErrors, RefuseUnknownKeysAndAbsurdTimes) {
  const std::string me = "{\"t\":0,\"me\":{\"user_id\":\"@a:x\",\"device_id\":\"D\"}}\n";
  struct Case {
    std::string script;
    std::string error;
  };
  for (const auto& [script, error] : std::vector<Case>{
           {me + "{\"t\":5,\"snyc\":[]}\n", "replay: line 2: unknown key \"snyc\" in a script line\n"},
           {me + "{\"t\":5,\"do\":{\"action\":\"call\",\"room_id\":\"!r\",\"call_id\":\"c\",\"inviter\":\"@b:x\"}}\n",
            "replay: line 2: unknown key \"inviter\" in \"do\"\n"},
           {"{\"t\":0,\"me\":{\"user_id\":\"@a:x\",\"device_id\":\"D\"},\"timeout\":{}}\n",
            "replay: line 1: unknown key \"timeout\" in the first line\n"},
           {"{\"t\":0,\"me\":{\"user_id\":\"@a:x\",\"device\":\"D\"}}\n",
            "replay: line 1: unknown key \"device\" in \"me\"\n"},
           {me + "{\"t\":9223372036854775807}\n",
            "replay: line 2: \"t\" is 9223372036854775807; script times are 0..1000000000000 ms\n"},
           {me + "{\"t\":-5}\n", "replay: line 2: \"t\" is -5; script times are 0..1000000000000 ms\n"},
           {"{\"t\":0,\"me\":{\"user_id\":\"@a:x\",\"device_id\":\"D\"},\"timeouts\":{\"ring_grace_ms\":"
            "18446744073709551615}}\n",
            "replay: line 1: timeouts.ring_grace_ms is over 1000000000000 ms\n"},
       }) {
    std::istringstream in(script);
    std::ostringstream out, err;
    EXPECT_EQ(mxcall::tools::run_replay(in, out, err), 2) << script;
    EXPECT_EQ(err.str(), error) << script;
  }
}

}  // namespace
