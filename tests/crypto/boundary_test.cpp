// The C ABI's contract, as the C++ side relies on it: every failure is a JSON error with a stable code and a
// message that says what to do, nothing crashes, and the store refuses what it must (missing, wrong passphrase,
// another device's).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "mxcall/crypto/machine.hpp"
#include "mxcall/crypto/mxcall_crypto.h"
#include "test_dir.hpp"

namespace mxcall::testing {
namespace {

using crypto::CryptoError;
using crypto::Machine;
using crypto::StoreOptions;
using nlohmann::json;

json take(char* text) {
  EXPECT_NE(text, nullptr);
  json value = json::parse(text);
  mxc_string_free(text);
  return value;
}

std::unique_ptr<Machine> open_ok(const StoreOptions& options) {
  CryptoError error;
  auto machine = Machine::open(options, &error);
  EXPECT_TRUE(machine) << error.code << ": " << error.message;
  return machine;
}

CryptoError open_error(const StoreOptions& options) {
  CryptoError error;
  auto machine = Machine::open(options, &error);
  EXPECT_FALSE(machine);
  return error;
}

TEST(CAbi, NullArgumentsAreErrorsNotCrashes) {
  MxcMachine* handle = reinterpret_cast<MxcMachine*>(0x1);
  EXPECT_EQ(take(mxc_open(nullptr, &handle))["error"]["code"], "bad_argument");
  EXPECT_EQ(handle, nullptr);  // cleared on failure
  EXPECT_EQ(take(mxc_open(R"({"user_id":"@a:b","device_id":"D","store_path":"/tmp/x"})", nullptr))["error"]["code"],
            "bad_argument");
  EXPECT_EQ(take(mxc_outgoing_requests(nullptr))["error"]["code"], "bad_argument");
  EXPECT_EQ(take(mxc_identity(nullptr))["error"]["code"], "bad_argument");
  EXPECT_EQ(take(mxc_decrypt(nullptr, "!r:b", "{}"))["error"]["code"], "bad_argument");
  mxc_string_free(nullptr);
  mxc_close(nullptr);
}

TEST(CAbi, BadJsonIsAnErrorNamingWhatWasWrong) {
  TestDir dir;
  MxcMachine* handle = nullptr;
  auto error = take(mxc_open("{not json", &handle))["error"];
  EXPECT_EQ(error["code"], "bad_json");
  EXPECT_NE(error["message"].get<std::string>().find("options"), std::string::npos);
  error = take(mxc_open(R"({"user_id":"not-a-user","device_id":"D","store_path":"/tmp/x"})", &handle))["error"];
  EXPECT_EQ(error["code"], "bad_argument");
  EXPECT_NE(error["message"].get<std::string>().find("not-a-user"), std::string::npos);
  EXPECT_EQ(take(mxc_open(R"([1,2])", &handle))["error"]["code"], "bad_argument");

  auto machine = open_ok({"@alice:example.org", "ALICEDEV", dir / "store", "", true});
  ASSERT_TRUE(machine);
  auto code = [](const crypto::Reply& reply) { return reply.ok() ? std::string("ok") : reply.error.code; };
  EXPECT_EQ(code(machine->receive_sync_changes("{")), "bad_json");
  EXPECT_EQ(code(machine->receive_sync_changes(R"({"to_device": 5})")), "bad_json");
  EXPECT_EQ(code(machine->receive_sync_changes(R"({"device_lists": {"changed": "x"}})")), "bad_json");
  EXPECT_EQ(code(machine->receive_sync_changes(R"({"one_time_key_counts": []})")), "bad_json");
  EXPECT_EQ(code(machine->decrypt("!room:example.org", "{")), "bad_json");
  EXPECT_EQ(code(machine->decrypt("!room:example.org", R"({"type":"m.room.encrypted"})")), "bad_json");
  EXPECT_EQ(code(machine->decrypt("not a room", "{}")), "bad_argument");
  EXPECT_EQ(code(machine->decrypt("!room:example.org", std::string(70000, ' '))), "bad_argument");
  EXPECT_EQ(code(machine->decrypt("!room:example.org", std::string("{\0}", 3))), "bad_argument");
  EXPECT_EQ(code(machine->encrypt("{}")), "bad_argument");
  EXPECT_EQ(code(machine->encrypt(R"({"room_id":"!r:example.org","type":"m.call.invite","members":[]})")),
            "bad_argument");
  EXPECT_EQ(code(machine->encrypt(
                R"({"room_id":"!r:example.org","type":"m.call.invite","content":{},"members":["nobody"]})")),
            "bad_argument");
  EXPECT_EQ(code(machine->mark_request_sent("id", "no_such_kind", "{}")), "bad_argument");
  EXPECT_EQ(code(machine->mark_request_sent("id", "keys_upload", "[not json")), "bad_json");
  EXPECT_EQ(code(machine->mark_request_sent("", "to_device", "{}")), "bad_argument");
  // After all that the machine still works.
  EXPECT_TRUE(machine->identity().ok());
  EXPECT_TRUE(machine->receive_sync_changes("{}").ok());
  EXPECT_TRUE(machine->outgoing_requests().ok());
}

TEST(CAbi, VerificationCommandsAreCheckedAndUnknownFlowsNamed) {
  TestDir dir;
  auto machine = open_ok({"@alice:example.org", "ALICEDEV", dir / "store", "", true});
  ASSERT_TRUE(machine);
  auto code = [](const crypto::Reply& reply) { return reply.ok() ? std::string("ok") : reply.error.code; };
  EXPECT_EQ(take(mxc_verification(nullptr, R"({"action":"list"})"))["error"]["code"], "bad_argument");
  EXPECT_EQ(take(mxc_cross_signing(nullptr, R"({"action":"status"})"))["error"]["code"], "bad_argument");
  EXPECT_EQ(code(machine->verification("{")), "bad_json");
  EXPECT_EQ(code(machine->verification("{}")), "bad_argument");
  EXPECT_EQ(code(machine->verification(R"({"action":"explode"})")), "bad_argument");
  EXPECT_EQ(code(machine->verification(R"({"action":"confirm","user_id":"bob"})")), "bad_argument");
  EXPECT_EQ(code(machine->verification(R"({"action":"confirm","user_id":"@bob:example.org"})")), "bad_argument");
  auto unknown = machine->verification(R"({"action":"confirm","user_id":"@bob:example.org","flow_id":"f1"})");
  EXPECT_EQ(code(unknown), "unknown_flow");
  EXPECT_NE(unknown.error.message.find("f1"), std::string::npos);
  EXPECT_EQ(code(machine->verification(R"({"action":"request","user_id":"@bob:example.org","device_id":7})")),
            "bad_argument");
  EXPECT_EQ(code(machine->verification(std::string(R"({"action":"list"})") + std::string("\0", 1))), "bad_argument");
  EXPECT_EQ(code(machine->cross_signing(R"({"action":"reset"})")), "bad_argument");
  EXPECT_EQ(code(machine->cross_signing("[]")), "bad_argument");
  // Nobody asked and nobody was asked: no flows.
  auto list = machine->verification(R"({"action":"list"})");
  ASSERT_TRUE(list.ok()) << list.error.message;
  EXPECT_EQ(json::parse(*list.value)["flows"], json::array());
}

TEST(Store, MissingStoreIsNamedAndNotRecreated) {
  TestDir dir;
  auto error = open_error({"@alice:example.org", "ALICEDEV", dir / "gone", "", false});
  EXPECT_EQ(error.code, "store_missing");
  EXPECT_NE(error.message.find(dir / "gone"), std::string::npos);
  EXPECT_NE(error.message.find("log in again"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir / "gone"));
}

TEST(Store, PrivateModesAndKeysSurviveReopening) {
  TestDir dir;
  std::string curve;
  {
    auto machine = open_ok({"@alice:example.org", "ALICEDEV", dir / "store", "", true});
    ASSERT_TRUE(machine);
    curve = json::parse(*machine->identity().value)["curve25519"];
  }
  struct stat st {};
  ASSERT_EQ(::stat((dir / "store").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat((dir / "store/matrix-sdk-crypto.sqlite3").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0077, 0u);
  auto again = open_ok({"@alice:example.org", "ALICEDEV", dir / "store", "", false});
  ASSERT_TRUE(again);
  EXPECT_EQ(json::parse(*again->identity().value)["curve25519"], curve);
}

TEST(Store, WrongPassphraseIsNamed) {
  TestDir dir;
  std::string curve;
  {
    auto machine = open_ok({"@alice:example.org", "ALICEDEV", dir / "store", "correct horse", true});
    ASSERT_TRUE(machine);
    curve = json::parse(*machine->identity().value)["curve25519"];
  }
  auto error = open_error({"@alice:example.org", "ALICEDEV", dir / "store", "battery staple", false});
  EXPECT_EQ(error.code, "wrong_passphrase");
  EXPECT_NE(error.message.find("passphrase"), std::string::npos);
  error = open_error({"@alice:example.org", "ALICEDEV", dir / "store", "", false});
  EXPECT_TRUE(error.code == "store_unreadable" || error.code == "wrong_passphrase") << error.code;
  EXPECT_NE(error.message.find("passphrase"), std::string::npos) << error.message;
  auto machine = open_ok({"@alice:example.org", "ALICEDEV", dir / "store", "correct horse", false});
  ASSERT_TRUE(machine);
  EXPECT_EQ(json::parse(*machine->identity().value)["curve25519"], curve);
}

TEST(Store, AnotherDevicesStoreIsRefused) {
  TestDir dir;
  { ASSERT_TRUE(open_ok({"@alice:example.org", "ALICEDEV", dir / "store", "", true})); }
  auto error = open_error({"@alice:example.org", "OTHERDEV", dir / "store", "", true});
  EXPECT_EQ(error.code, "store_mismatch");
  EXPECT_NE(error.message.find("ALICEDEV"), std::string::npos);
}

TEST(Store, UnusablePathIsNamed) {
  TestDir dir;
  std::ofstream(dir / "file") << "not a folder";
  auto error = open_error({"@alice:example.org", "ALICEDEV", dir / "file/store", "", true});
  EXPECT_EQ(error.code, "store_unavailable");
  EXPECT_NE(error.message.find(dir / "file/store"), std::string::npos);
}

}  // namespace
}  // namespace mxcall::testing
