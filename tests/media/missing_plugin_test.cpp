// check_ready() on a system where one plugin package is missing: this process sees every GStreamer plugin but
// libnice's (gstreamer1.0-nice), through a private plugin path and registry set before GStreamer starts.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "media_harness.hpp"

namespace mxcall::media::test {
namespace {
namespace fs = std::filesystem;

TEST(GstEngine, CheckReadyNamesTheDebianPackageOfAMissingPlugin) {
  TempDir tmp;
  fs::path dir = tmp.path;
  fs::create_directory(dir / "plugins");
  int linked = 0;
  for (const auto& entry : fs::directory_iterator(MXCALL_GST_PLUGINS_DIR)) {
    if (entry.path().filename() == "libgstnice.so") continue;
    fs::create_symlink(entry.path(), dir / "plugins" / entry.path().filename());
    ++linked;
  }
  ASSERT_GT(linked, 50);
  setenv("GST_PLUGIN_SYSTEM_PATH_1_0", (dir / "plugins").c_str(), 1);
  setenv("GST_PLUGIN_PATH_1_0", "", 1);
  setenv("GST_REGISTRY_1_0", (dir / "registry.bin").c_str(), 1);

  GstMediaEngine engine(tone_options(440));
  auto problem = engine.check_ready();
  ASSERT_TRUE(problem.has_value());
  EXPECT_NE(problem->find("nicesrc"), std::string::npos) << *problem;
  EXPECT_NE(problem->find("apt-get install gstreamer1.0-nice"), std::string::npos) << *problem;
  EXPECT_EQ(problem->find("plugins-bad"), std::string::npos) << *problem;  // only what is really missing
}

}  // namespace
}  // namespace mxcall::media::test
