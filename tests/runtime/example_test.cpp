// The installed package as an application sees it: `cmake --install` into a temporary prefix, examples/ configured
// and built against it with find_package(mxcall), then the answering machine run against the test Synapse. A caller
// (a Phone in this test) plays a tone; the machine's recording must hold that tone, and the caller must hear the
// machine's greeting.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "helpers.hpp"
#include "mxcall/media/audio_analysis.hpp"
#include "phone_recorder.hpp"

namespace mxcall::testing {
namespace {

using namespace std::chrono_literals;

const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new SynapseEnvironment([] {
  SynapseOptions options;
  options.turn = false;
  return options;
}()));

constexpr double kCallerTone = 520.0;
constexpr double kGreetingTone = 880.0;

struct TempDir {
  std::string path;
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "mxcall-example-XXXXXX").string();
    path = mkdtemp(pattern.data()) ? pattern : "";
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path.empty()) std::filesystem::remove_all(path, ignored);
  }
};

// Runs a shell command with its output in `log`; true on exit status 0.
bool run(const std::string& command, const std::string& log) {
  int status = std::system(("(" + command + ") >" + log + " 2>&1").c_str());
  return status == 0;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The answering machine as a child process; killed (and reaped) on scope exit if it has not ended by itself.
struct Machine {
  pid_t pid = -1;
  Machine(const std::vector<std::string>& argv, const std::string& password, const std::string& log) {
    pid = fork();
    if (pid == 0) {
      setenv("MXCALL_PASSWORD", password.c_str(), 1);
      FILE* out = freopen(log.c_str(), "w", stdout);
      if (out) dup2(fileno(stdout), STDERR_FILENO);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
  }
  // The exit status once it ended within `timeout`, else nullopt (it is then killed).
  std::optional<int> wait(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (pid > 0 && std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(50ms);
    }
    return std::nullopt;
  }
  ~Machine() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }
};

TEST(InstalledPackage, AnsweringMachineRecordsTheCallerAndPlaysItsGreeting) {
  TempDir dir;
  ASSERT_FALSE(dir.path.empty());
  const std::string prefix = dir.path + "/prefix", build = dir.path + "/build", records = dir.path + "/records";
  std::filesystem::create_directories(records);
  ASSERT_TRUE(run("cmake --install " MXCALL_BUILD_DIR " --prefix " + prefix, dir.path + "/install.log"))
      << read_file(dir.path + "/install.log");
  ASSERT_TRUE(run("cmake -S " MXCALL_EXAMPLES_DIR " -B " + build + " -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo" +
                      " -DCMAKE_PREFIX_PATH=" + prefix + " && cmake --build " + build + " -j 1",
                  dir.path + "/build.log"))
      << read_file(dir.path + "/build.log");

  const std::string greeting = dir.path + "/greeting.wav";
  media::write_wav(greeting, kGreetingTone, 10.0);
  auto machine_user = new_user("machine");
  auto caller_user = new_user("caller");
  Machine machine(
      {build + "/answering_machine", SynapseEnvironment::server().url(), machine_user.localpart, "--greeting", greeting,
       "--record-dir", records, "--seconds", "4", "--calls", "1", "--loopback-only"},
      machine_user.password, dir.path + "/machine.log");

  Runtime runtime;
  PhoneConfig config;
  config.homeserver = SynapseEnvironment::server().url();
  config.access_token = caller_user.client->session().access_token;
  config.media_defaults.loopback_only = true;
  auto phone = Phone::connect(runtime, config);
  ASSERT_TRUE(phone.ok()) << phone.error().message;
  test::Recorder seen;
  (*phone)->set_observer(&seen);
  const std::string heard = dir.path + "/caller-heard.wav";
  MediaChoice media;
  media.audio_source = audio_source::Tone{kCallerTone, 0.3};
  media.audio_sink = audio_sink::WavFile{heard};
  // The machine has to be up and syncing to join the direct chat this creates: wait for its first line.
  ASSERT_TRUE(runtime.run_until(
      [&] { return read_file(dir.path + "/machine.log").find("answering calls") != std::string::npos; }, 30s))
      << read_file(dir.path + "/machine.log");
  auto call = (*phone)->call(machine_user.user_id, {false, media});  // finds or creates the DM, invites the machine
  ASSERT_TRUE(call.ok()) << call.error().message;
  ASSERT_TRUE(runtime.run_until([&] { return seen.ever(call->call_id, CallState::connected); }, 60s))
      << read_file(dir.path + "/machine.log");
  // The machine hangs up after 4 s connected.
  ASSERT_TRUE(runtime.run_until([&] { return seen.state(call->call_id) == CallState::ended; }, 30s));
  EXPECT_EQ(seen.end_reason(call->call_id), "user_hangup");
  (*phone)->set_observer(nullptr);
  phone->reset();  // the caller's recording is complete once its session closed
  auto status = machine.wait(15s);
  ASSERT_TRUE(status.has_value()) << "the machine did not exit after its one call\n"
                                  << read_file(dir.path + "/machine.log");
  EXPECT_EQ(*status, 0) << read_file(dir.path + "/machine.log");

  int rate = 0;
  auto recorded = media::read_wav(records + "/" + call->call_id + ".wav", &rate);
  ASSERT_GT(recorded.size(), 48000u) << "the machine recorded less than a second";
  double machine_heard = media::dominant_frequency(recorded, rate);
  EXPECT_TRUE(media::same_tone(machine_heard, kCallerTone)) << machine_heard << " Hz";
  auto greeting_heard = media::read_wav(heard, &rate);
  ASSERT_GT(greeting_heard.size(), 48000u);
  double caller_heard = media::dominant_frequency(greeting_heard, rate);
  EXPECT_TRUE(media::same_tone(caller_heard, kGreetingTone)) << caller_heard << " Hz";
}

}  // namespace
}  // namespace mxcall::testing
