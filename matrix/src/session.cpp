#include "mxcall/matrix/session.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
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

Status save_session(const Session& session, const std::string& path) {
  std::string text = session_to_json(session);
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("cannot create", tmp, errno);
  // O_CREAT's mode is filtered by the umask and ignored for an existing file; fchmod is neither.
  if (::fchmod(fd, 0600) != 0) {
    int err = errno;
    ::close(fd);
    return io_error("cannot chmod", tmp, err);
  }
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      return io_error("cannot write", tmp, err);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) return io_error("cannot flush", tmp, errno);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return io_error("cannot rename onto", path, errno);
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
