// The session file holds the access token: writing it must never follow a planted link, leave a copy behind, or
// hand it to another file.
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "mxcall/matrix/session.hpp"

namespace mxcall::matrix {
namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char name[] = "/tmp/mxcall-session-XXXXXX";
    path = ::mkdtemp(name);
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(d);
  return names;
}

Session a_session() {
  Session s;
  s.homeserver = "https://hs";
  s.user_id = "@me:hs";
  s.access_token = "the-secret-token";
  return s;
}

TEST(SessionFile, PlantedTemporarySymlinkIsNotFollowed) {
  TempDir dir;
  std::string victim = dir.path + "/victim";
  std::ofstream(victim) << "precious";
  std::string path = dir.path + "/session.json";
  // The name the old writer used: open(path + ".tmp", O_TRUNC) wrote the token through this link.
  ASSERT_EQ(::symlink(victim.c_str(), (path + ".tmp").c_str()), 0);
  ASSERT_TRUE(save_session(a_session(), path));
  EXPECT_EQ(read_file(victim), "precious");
  auto loaded = load_session(path);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->access_token, "the-secret-token");
  struct stat st {};
  ASSERT_EQ(::lstat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(SessionFile, NoTemporaryFileIsLeftBehind) {
  TempDir dir;
  std::string path = dir.path + "/session.json";
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(save_session(a_session(), path));
  EXPECT_EQ(entries(dir.path), std::vector<std::string>{"session.json"});
}

TEST(SessionFile, FailedRenameRemovesTheTemporaryFile) {
  TempDir dir;
  std::string path = dir.path + "/session.json";
  ASSERT_EQ(::mkdir(path.c_str(), 0700), 0);  // rename onto a directory fails after the file was written
  std::ofstream(path + "/keep") << "x";
  auto saved = save_session(a_session(), path);
  ASSERT_FALSE(saved);
  EXPECT_NE(saved.error().message.find("cannot rename onto"), std::string::npos) << saved.error().message;
  EXPECT_EQ(entries(dir.path), std::vector<std::string>{"session.json"}) << "the token stayed in a temporary file";
}

}  // namespace
}  // namespace mxcall::matrix
