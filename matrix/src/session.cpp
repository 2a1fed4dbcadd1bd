#include "mxcall/matrix/session.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

namespace mxcall::matrix {
namespace {

Error io_error(const std::string& what, const std::string& path, int err) {
  return Error{ErrorCode::io_error,
               what + " " + path + ": " + std::strerror(err) + "; check the path and its permissions"};
}

}  // namespace

std::string session_to_json(const Session& session) {
  nlohmann::json j = {
      {"version", 1},
      {"homeserver", session.homeserver},
      {"user_id", session.user_id},
      {"device_id", session.device_id},
      {"access_token", session.access_token},
      {"since", session.since},
      {"txn_counter", session.txn_counter},
  };
  return j.dump(2) + "\n";
}

Result<Session> session_from_json(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Error{ErrorCode::io_error, "the session file is not JSON; delete it and log in again"};
  }
  Session s;
  auto str = [&](const char* key, std::string& out) {
    auto it = j.find(key);
    if (it != j.end() && it->is_string()) out = it->get<std::string>();
  };
  str("homeserver", s.homeserver);
  str("user_id", s.user_id);
  str("device_id", s.device_id);
  str("access_token", s.access_token);
  str("since", s.since);
  if (auto it = j.find("txn_counter"); it != j.end() && it->is_number_unsigned())
    s.txn_counter = it->get<std::uint64_t>();
  if (s.homeserver.empty() || s.user_id.empty() || s.access_token.empty()) {
    return Error{ErrorCode::io_error, "the session file lacks homeserver, user_id or access_token; log in again"};
  }
  return s;
}

namespace {

// An open descriptor, closed on every path out.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release_and_close() {
    int result = ::close(fd_);
    fd_ = -1;
    return result;
  }

 private:
  int fd_;
};

// A fresh file beside `path`, made by us alone: O_EXCL refuses any name that exists (a planted file or symlink),
// O_NOFOLLOW refuses a symlink even where O_EXCL would not be honoured.
int create_temporary(const std::string& path, std::string& temporary) {
  std::random_device random;
  for (int attempt = 0; attempt < 16; ++attempt) {
    char suffix[17];
    std::snprintf(suffix, sizeof suffix, "%08x%08x", random(), random());
    temporary = path + ".tmp-" + suffix;
    int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  errno = EEXIST;
  return -1;
}

std::string directory_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

Status write_all(int fd, const std::string& text, const std::string& name) {
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return io_error("cannot write", name, n == 0 ? EIO : errno);
    done += static_cast<std::size_t>(n);
  }
  return Ok{};
}

}  // namespace

Status save_session(const Session& session, const std::string& path) {
  std::string text = session_to_json(session);
  std::string tmp;
  Fd fd(create_temporary(path, tmp));
  if (fd.get() < 0) return io_error("cannot create a temporary file for", path, errno);
  // Whatever fails below, the temporary file does not stay behind (it holds the access token).
  struct Unlink {
    const std::string* name;
    ~Unlink() {
      if (name != nullptr) ::unlink(name->c_str());
    }
  } unlink_on_failure{&tmp};
  // O_CREAT's mode is filtered by the umask; fchmod is not.
  if (::fchmod(fd.get(), 0600) != 0) return io_error("cannot chmod", tmp, errno);
  if (auto written = write_all(fd.get(), text, tmp); !written) return written;
  if (::fsync(fd.get()) != 0) return io_error("cannot flush", tmp, errno);
  if (fd.release_and_close() != 0) return io_error("cannot close", tmp, errno);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return io_error("cannot rename onto", path, errno);
  unlink_on_failure.name = nullptr;
  // The rename lives in the directory: without this a power cut can bring the old file (or none) back.
  std::string directory = directory_of(path);
  Fd dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0 || ::fsync(dir.get()) != 0) return io_error("cannot flush the directory", directory, errno);
  return Ok{};
}

Result<Session> load_session(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return io_error("cannot read the session file", path, errno);
  if ((st.st_mode & 077) != 0) {
    std::ostringstream msg;
    msg << "the session file " << path << " has mode 0" << std::oct << (st.st_mode & 0777)
        << " and holds an access token; run chmod 600 on it (or log in again) before resuming";
    return Error{ErrorCode::io_error, msg.str()};
  }
  std::ifstream in(path);
  if (!in) return io_error("cannot open the session file", path, errno);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return session_from_json(buffer.str());
}

}  // namespace mxcall::matrix
