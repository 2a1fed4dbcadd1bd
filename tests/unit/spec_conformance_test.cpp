// Conformance with the spec's own data: every m.call.* example of the spec is read, written back,
// and the written event is checked against the spec's JSON schema for its type (Python jsonschema in build/venv).
// The spec's folder is MXCALL_SPEC_DIR (environment, else the CMake cache variable, default ../shared/matrix-spec);
// without it these tests are skipped with a message, and CTest reports them as not run.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "mxcall/protocol/event_reader.hpp"
#include "mxcall/protocol/event_writer.hpp"
#include "mxcall/protocol/send_rules.hpp"
#include "spec_examples.hpp"

namespace mxcall::protocol {
namespace {

namespace fs = std::filesystem;

fs::path spec_dir() {
  const char* from_env = std::getenv("MXCALL_SPEC_DIR");
  return from_env != nullptr && *from_env != '\0' ? fs::path(from_env) : fs::path(MXCALL_SPEC_DIR);
}
const fs::path kSpecDir = spec_dir();

// Skips (never passes) a test that needs the spec's data when it is not there.
#define MXCALL_REQUIRE_SPEC()                                                          \
  if (!fs::is_directory(kSpecDir / "data/event-schemas")) {                            \
    GTEST_SKIP() << "not run: the spec's schemas and examples are not at " << kSpecDir \
                 << "; set MXCALL_SPEC_DIR to the matrix-spec folder";                 \
  }

std::string venv_python() {
  for (const char* candidate : {MXCALL_VENV_PYTHON, MXCALL_VENV_FALLBACK_PYTHON}) {
    if (fs::exists(candidate)) return candidate;
  }
  return {};
}

struct Checked {
  int exit_code = -1;
  std::vector<std::string> lines;
};

// Runs the schema checker over events given as JSON lines.
Checked check_against_schema(const std::vector<std::string>& events) {
  std::string python = venv_python();
  EXPECT_FALSE(python.empty()) << "no Python venv: run scripts/setup-venv.sh first";
  fs::path file = fs::temp_directory_path() / ("mxcall-schema-" + std::to_string(::getpid()) + ".jsonl");
  {
    std::ofstream out(file);
    for (const auto& e : events) out << e << "\n";
  }
  std::string command = "'" + python + "' '" MXCALL_SOURCE_DIR "/tests/support/check_against_schema.py' '" +
                        (kSpecDir / "data/event-schemas/schema").string() + "' '" + file.string() + "' 2>&1";
  Checked result;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    std::array<char, 4096> buffer{};
    std::string output;
    while (std::fgets(buffer.data(), buffer.size(), pipe)) output += buffer.data();
    int status = ::pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::size_t start = 0;
    while (start < output.size()) {
      std::size_t end = output.find('\n', start);
      if (end == std::string::npos) end = output.size();
      result.lines.push_back(output.substr(start, end - start));
      start = end + 1;
    }
  }
  fs::remove(file);
  return result;
}

TEST(SpecConformance, EveryExampleIsReadWrittenAndTheOutputMatchesTheSchema) {
  MXCALL_REQUIRE_SPEC();
  auto examples = test::load_call_examples(kSpecDir / "data/event-schemas/examples");
  ASSERT_EQ(examples.size(), 8u) << "the spec has 8 m.call.* examples";
  EventReader reader;
  EventReader second_reader;
  std::vector<std::string> written;
  for (const auto& example : examples) {
    ReadResult r = reader.read_event(example.event.dump());
    ASSERT_EQ(r.status, ReadStatus::call_event) << example.name << ": " << r.error.to_string();
    EXPECT_FALSE(check_send_rules(r.event.content)) << example.name << ": the spec's example breaks a sending rule";
    std::string out;
    auto error = write_room_event(r.event, out);
    ASSERT_FALSE(error) << example.name << ": " << error->to_string();
    ReadResult back = second_reader.read_event(out);
    ASSERT_EQ(back.status, ReadStatus::call_event) << example.name;
    EXPECT_EQ(back.event, r.event) << example.name << " did not survive write and read";
    written.push_back(out);
  }
  Checked checked = check_against_schema(written);
  ASSERT_EQ(checked.lines.size(), examples.size()) << "checker output: " << testing::PrintToString(checked.lines);
  for (const auto& line : checked.lines) EXPECT_TRUE(line.starts_with("ok m.call.")) << line;
  EXPECT_EQ(checked.exit_code, 0);
}

// The schema check is not vacuous: events that break the schema are caught by it.
TEST(SpecConformance, TheSchemaCheckCatchesNonConformantEvents) {
  MXCALL_REQUIRE_SPEC();
  Checked checked = check_against_schema({
      R"({"type":"m.call.hangup","sender":"@a:b","room_id":"!r:b","event_id":"$e","origin_server_ts":1,)"
      R"("content":{"call_id":"c","party_id":"p","version":"1","reason":"replaced"}})",
      R"({"type":"m.call.invite","sender":"@a:b","room_id":"!r:b","event_id":"$e","origin_server_ts":1,)"
      R"("content":{"call_id":"c","party_id":"p","version":0,"offer":{"type":"offer","sdp":"v=0"},"lifetime":1}})",
  });
  ASSERT_EQ(checked.lines.size(), 2u) << testing::PrintToString(checked.lines);
  EXPECT_TRUE(checked.lines[0].starts_with("fail m.call.hangup")) << checked.lines[0];
  EXPECT_TRUE(checked.lines[1].starts_with("fail m.call.invite")) << checked.lines[1];
  EXPECT_EQ(checked.exit_code, 1);
}

// Each type we can send, generated and written by us, passes the spec's schema (for the types the spec has).
TEST(SpecConformance, WhatWeWriteMatchesTheSchemaForEverySpecType) {
  MXCALL_REQUIRE_SPEC();
  auto examples = test::load_call_examples(kSpecDir / "data/event-schemas/examples");
  std::vector<std::string> written;
  // Variants the examples lack: an invite with invitee and capabilities, candidates with the end marker, a
  // negotiate answer with metadata, a hangup for each spec reason.
  const char* extra[] = {
      R"({"type":"m.call.invite","sender":"@a:b","room_id":"!r:b","event_id":"$e","origin_server_ts":1,"unsigned":{"age":1},)"
      R"("content":{"call_id":"c1","party_id":"p1","version":"1","offer":{"type":"offer","sdp":"v=0"},"lifetime":90000,)"
      R"("invitee":"@bob:b","capabilities":{"m.call.transferee":false,"m.call.dtmf":false},)"
      R"("sdp_stream_metadata":{"s":{"purpose":"m.usermedia","audio_muted":true,"video_muted":false}}}})",
      R"({"type":"m.call.candidates","sender":"@a:b","room_id":"!r:b","event_id":"$e","origin_server_ts":1,)"
      R"("content":{"call_id":"c1","party_id":"p1","version":"1","candidates":[{"candidate":"candidate:1 1 UDP 1 127.0.0.1 9 typ host",)"
      R"("sdpMid":"0","sdpMLineIndex":0},{"candidate":""}]}})",
      R"({"type":"m.call.negotiate","sender":"@a:b","room_id":"!r:b","event_id":"$e","origin_server_ts":1,)"
      R"("content":{"call_id":"c1","party_id":"p1","version":"1","description":{"type":"answer","sdp":"v=0"},"lifetime":10000,)"
      R"("sdp_stream_metadata":{"s":{"purpose":"m.screenshare"}}}})",
  };
  EventReader reader;
  std::string out;
  for (const char* text : extra) {
    ReadResult r = reader.read_event(text);
    ASSERT_EQ(r.status, ReadStatus::call_event) << r.error.to_string();
    ASSERT_FALSE(write_room_event(r.event, out));
    written.push_back(out);
  }
  for (std::string_view reason : {"ice_failed", "ice_timeout", "invite_timeout", "user_hangup", "user_media_failed",
                                  "user_busy", "unknown_error"}) {
    RoomEvent e{
        "m.call.hangup", "@a:b", "!r:b", "$e", 1, 2, Hangup{CallCommon{"c1", "p1", Version::v1()}, reason, true}};
    ASSERT_FALSE(write_room_event(e, out));
    written.push_back(out);
  }
  Checked checked = check_against_schema(written);
  for (const auto& line : checked.lines) EXPECT_TRUE(line.starts_with("ok ")) << line;
  EXPECT_EQ(checked.lines.size(), written.size());
  EXPECT_EQ(checked.exit_code, 0);
}

}  // namespace
}  // namespace mxcall::protocol
