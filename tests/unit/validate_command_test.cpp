// `mxcall validate` end to end: the real binary on real files and standard input.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>

#include "sanitizers.hpp"

namespace {

namespace fs = std::filesystem;

struct CommandRun {
  int exit_code = -1;  // -1 when the program died of a signal
  std::string out;
};

class ValidateCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mxcall-validate-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string file(const std::string& name, const std::string& content) {
    fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }

  // Runs `mxcall validate ARGS`, stdout captured, stderr to stderr.out in the test folder.
  CommandRun run(const std::string& args, const std::string& stdin_file = "") {
    std::string command =
        std::string("'") + MXCALL_BINARY + "' validate " + args + " 2>'" + (dir_ / "stderr.out").string() + "'";
    if (!stdin_file.empty()) command += " <'" + stdin_file + "'";
    CommandRun result;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) return result;
    std::array<char, 65536> buffer{};
    std::size_t n;
    while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.out.append(buffer.data(), n);
    int status = ::pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
  }

  std::string stderr_text() {
    std::ifstream in(dir_ / "stderr.out");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  fs::path dir_;
};

const std::string kHangup =
    R"({"type":"m.call.hangup","sender":"@a:b","content":{"call_id":"c1","party_id":"p","version":"1","reason":"user_hangup"}})";
const std::string kV0Hangup = R"({"type":"m.call.hangup","sender":"@a:b","content":{"call_id":"c2","version":0}})";
const std::string kMessage = R"({"type":"m.room.message","sender":"@a:b","content":{"body":"hi"}})";
const std::string kNoSdp =
    R"({"type":"m.call.invite","sender":"@a:b","content":{"call_id":"c3","version":"1","offer":{"type":"offer"},"lifetime":1}})";

TEST_F(ValidateCommand, PrintsOneLinePerEventInInputOrder) {
  CommandRun r =
      run(file("mixed.jsonl", kHangup + "\n" + kMessage + "\n\n" + kNoSdp + "\nnot json\n" + kV0Hangup + "\n"));
  EXPECT_EQ(r.out,
            "ok m.call.hangup c1\n"
            "skip m.room.message\n"
            "invalid m.call.invite: content.offer.sdp: missing (the session description has no SDP)\n"
            "invalid ?: document: not valid JSON (Problem while parsing an atom starting with the letter 'n')\n"
            "ok m.call.hangup c2\n");
  EXPECT_EQ(r.exit_code, 1);
}

TEST_F(ValidateCommand, ExitsZeroWhenNothingIsInvalid) {
  CommandRun r = run(file("good.jsonl", kHangup + "\n" + kMessage + "\n"));
  EXPECT_EQ(r.out, "ok m.call.hangup c1\nskip m.room.message\n");
  EXPECT_EQ(r.exit_code, 0);
}

TEST_F(ValidateCommand, ReadsStandardInputWhenNoFileIsGiven) {
  CommandRun r = run("", file("in.jsonl", kHangup + "\n"));
  EXPECT_EQ(r.out, "ok m.call.hangup c1\n");
  CommandRun dash = run("-", file("in2.jsonl", kMessage));
  EXPECT_EQ(dash.out, "skip m.room.message\n");
}

TEST_F(ValidateCommand, ReadsOnePrettyPrintedObjectAndArraysOfEvents) {
  CommandRun pretty = run(file("pretty.json",
                               "{\n  \"type\": \"m.call.hangup\",\n  \"sender\": \"@a:b\",\n"
                               "  \"content\": {\"call_id\": \"c9\", \"version\": 0}\n}\n"));
  EXPECT_EQ(pretty.out, "ok m.call.hangup c9\n");
  CommandRun array = run(file("array.json", "[" + kHangup + ",\n" + kMessage + "]\n"));
  EXPECT_EQ(array.out, "ok m.call.hangup c1\nskip m.room.message\n");
}

TEST_F(ValidateCommand, StrictAppliesTheSendingRules) {
  std::string f = file("v0.jsonl", kV0Hangup + "\n" + kHangup + "\n");
  EXPECT_EQ(run(f).exit_code, 0);
  CommandRun strict = run("--strict " + f);
  EXPECT_EQ(strict.out,
            "invalid m.call.hangup: content.party_id: missing (rule 10: every event carries the sender's party_id)\n"
            "ok m.call.hangup c1\n");
  EXPECT_EQ(strict.exit_code, 1);
}

TEST_F(ValidateCommand, JsonOutputIsOneObjectPerEvent) {
  CommandRun r = run("--json " + file("mixed.jsonl", kHangup + "\n" + kNoSdp + "\n"));
  EXPECT_EQ(r.out, R"({"input":")" + (dir_ / "mixed.jsonl").string() +
                       R"(","line":1,"result":"ok","type":"m.call.hangup","call_id":"c1"})"
                       "\n"
                       R"({"input":")" +
                       (dir_ / "mixed.jsonl").string() +
                       R"(","line":2,"result":"invalid","type":"m.call.invite","field":"content.offer.sdp",)"
                       R"x("reason":"missing (the session description has no SDP)"})x"
                       "\n");
}

TEST_F(ValidateCommand, UsageAndFileErrorsExitTwo) {
  CommandRun missing = run(file("ok.jsonl", kHangup) + " " + (dir_ / "nope.json").string());
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.out, "ok m.call.hangup c1\n");  // the readable file is still checked
  EXPECT_NE(stderr_text().find("cannot open"), std::string::npos);
  EXPECT_EQ(run("--frobnicate").exit_code, 2);
  EXPECT_NE(stderr_text().find("unknown option --frobnicate"), std::string::npos);
}

TEST_F(ValidateCommand, SurvivesRandomBytes) {
  std::mt19937 rng(42);
  std::string bytes(1 << 20, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  CommandRun r = run(file("random.bin", bytes));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(r.out.starts_with("invalid ?: ")) << r.out.substr(0, 200);
}

TEST_F(ValidateCommand, SurvivesAHundredMegabyteLine) {
  std::string huge =
      R"({"type":"m.call.invite","sender":"@a:b","content":{"call_id":")" + std::string(100u << 20, 'x') + R"("}})";
  CommandRun r = run(file("huge.jsonl", huge + "\n" + kHangup + "\n"));
  EXPECT_EQ(r.out, "invalid ?: document: the document is " + std::to_string(huge.size()) +
                       " bytes, over the 1048576-byte limit\nok m.call.hangup c1\n");
  EXPECT_EQ(r.exit_code, 1);
}

TEST_F(ValidateCommand, SurvivesDeepNesting) {
  std::string deep = std::string(200000, '[') + std::string(200000, ']');
  std::string nested_in_event = R"({"type":"m.call.hangup","sender":"@a:b","content":{"call_id":"c","x":)" +
                                std::string(500, '{') + std::string(200000, ' ') + "}}";
  CommandRun r = run(file("deep.jsonl", deep + "\n" + nested_in_event + "\n" + kHangup + "\n"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(r.out.ends_with("ok m.call.hangup c1\n")) << r.out;
}

// A 16-million-element array used to cost a ReadResult per element before the first line was printed (17.7 GB for
// 63 MB); results are printed as they are read now, so memory stays near the parse. Scaled down to 6.4 MB here (1.1
// GB peak on the old code): the child's peak RSS is read from its rusage.
TEST_F(ValidateCommand, AHugeArrayIsValidatedInBoundedMemory) {
  std::string text = "[\n";
  for (int i = 0; i < 1'600'000; ++i) text += i == 0 ? "{}" : ",\n{}";
  text += "\n]\n";
  std::string path = file("huge.json", text);
  std::string out = (dir_ / "huge.out").string();
  // The child's own peak is its VmHWM, read while it runs: after exec its memory is its own, whereas the rusage
  // maximum of a child also counts the memory of the process it was spawned from (this test's, which earlier tests
  // in the same process may have grown).
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::string binary = MXCALL_BINARY;
  std::string command = "validate";
  char* argv[] = {binary.data(), command.data(), path.data(), nullptr};
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv, environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  long peak_kb = 0;
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    std::ifstream proc_status("/proc/" + std::to_string(pid) + "/status");
    for (std::string field; std::getline(proc_status, field);) {
      if (field.rfind("VmHWM:", 0) == 0) peak_kb = std::max(peak_kb, std::strtol(field.c_str() + 6, nullptr, 10));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1);
  std::ifstream results(out);
  std::string line, last;
  std::size_t lines = 0;
  while (std::getline(results, line)) ++lines, last = line;
  EXPECT_EQ(lines, 1'600'000u);
  EXPECT_EQ(last, "invalid ?: type: missing (every room event has one)");
  // 6.4 MB of text, its padded copy and the parse: about 60 MB; 1.1 GB before. ASan's shadow and quarantine make
  // the figure meaningless in the sanitizer tree.
  if (!mxcall::testing::kUnderAddressSanitizer) {
    EXPECT_GT(peak_kb, 0);
    EXPECT_LT(peak_kb, 200 * 1024) << "peak RSS " << peak_kb / 1024 << " MB";
  }
}

// A multi-line document over the batch limit is one document: reported once, not once per line.
TEST_F(ValidateCommand, AnOverLimitDocumentIsReportedOnce) {
  std::string text = "[\n";
  std::string event = "{\"type\":\"m.room.message\",\"content\":{\"body\":\"" + std::string(1000, 'x') + "\"}}";
  while (text.size() < (std::size_t{65} << 20)) text += event + ",\n";
  text += event + "\n]\n";
  auto result = run("'" + file("over.json", text) + "'");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(std::count(result.out.begin(), result.out.end(), '\n'), 1) << result.out.substr(0, 300);
  EXPECT_NE(result.out.find("over the 67108864-byte limit"), std::string::npos) << result.out.substr(0, 300);
}

// JSON may carry \u0000; SDP text and candidates may not. The lenient reader takes it, --strict names it.
TEST_F(ValidateCommand, StrictReportsNulInStrings) {
  std::string invite = R"({"type":"m.call.invite","room_id":"!r:x","sender":"@a:x","event_id":"$i","content":{)"
                       R"("call_id":"c1","party_id":"P","version":"1","lifetime":60000,)"
                       R"("offer":{"type":"offer","sdp":"v=0\r\n\u0000a=evil\r\n"}}})";
  std::string path = file("nul.json", invite + "\n");
  auto lenient = run("'" + path + "'");
  EXPECT_EQ(lenient.exit_code, 0) << lenient.out;
  auto strict = run("--strict '" + path + "'");
  EXPECT_EQ(strict.exit_code, 1);
  EXPECT_NE(strict.out.find("content.offer.sdp: holds a NUL character"), std::string::npos) << strict.out;
}

}  // namespace
