#include "common/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace tailor {

Result<std::string> ReadFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, "opening " + path);
  std::string out;
  char buf[16384];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return ErrnoToStatus(err, "reading " + path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

Result<std::string> ReadFirstLine(const std::string& path) {
  TAILOR_ASSIGN_OR_RETURN(std::string contents, ReadFile(path));
  auto nl = contents.find('\n');
  if (nl != std::string::npos) contents.resize(nl);
  return contents;
}

namespace {
// Writes all of `contents` to fd; returns 0 or the errno of the failed write.
int WriteAll(int fd, std::string_view contents) {
  size_t off = 0;
  while (off < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + off, contents.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    off += static_cast<size_t>(n);
  }
  return 0;
}
}  // namespace

Status WriteFile(const std::string& path, std::string_view contents) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_TRUNC | O_CREAT, 0644);
  if (fd < 0) return ErrnoToStatus(errno, "opening " + path + " for writing");
  if (int err = WriteAll(fd, contents); err != 0) {
    ::close(fd);
    return ErrnoToStatus(err, "writing " + path);
  }
  if (::close(fd) != 0) return ErrnoToStatus(errno, "closing " + path);
  return OkStatus();
}

Status WriteFileAtomically(const std::string& path, std::string_view contents, FileAccess access) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const mode_t mode = access == FileAccess::kOwnerOnly ? 0600 : 0644;
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return ErrnoToStatus(errno, "creating " + tmp);
  // A leftover temporary file keeps its old mode through O_TRUNC.
  if (::fchmod(fd, mode) != 0) {
    int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return ErrnoToStatus(err, "setting the mode of " + tmp);
  }
  if (int err = WriteAll(fd, contents); err != 0) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return ErrnoToStatus(err, "writing " + tmp);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return ErrnoToStatus(err, "flushing " + tmp);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return ErrnoToStatus(err, "renaming " + tmp + " to " + path);
  }
  return OkStatus();
}

bool PathExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

Result<std::vector<std::string>> ListDirectory(const std::string& path) {
  std::error_code ec;
  std::filesystem::directory_iterator it(path, ec);
  if (ec) return ErrnoToStatus(ec.value(), "listing " + path);
  std::vector<std::string> names;
  for (const auto& entry : it) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

Status MakeDirectories(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return ErrnoToStatus(ec.value(), "creating directory " + path);
  return OkStatus();
}

Status RemoveTreeInside(const std::string& root, const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path resolved_root = fs::weakly_canonical(root, ec);
  if (ec) return ErrnoToStatus(ec.value(), "resolving " + root);
  // The parent is resolved, not the path itself: a symlink inside root is removed as a link.
  const fs::path p(path);
  fs::path resolved = fs::weakly_canonical(p.parent_path(), ec);
  if (ec) return ErrnoToStatus(ec.value(), "resolving " + path);
  const std::string leaf = p.filename().string();
  if (leaf.empty() || leaf == "." || leaf == "..") {
    return FailedPreconditionError("refusing to remove " + path + ": not a plain entry");
  }
  resolved /= leaf;
  const std::string root_prefix = resolved_root.string() + "/";
  if (resolved.string().compare(0, root_prefix.size(), root_prefix) != 0) {
    return FailedPreconditionError("refusing to remove " + path + ": it is not inside " + root);
  }
  fs::remove_all(resolved, ec);
  if (ec) return ErrnoToStatus(ec.value(), "removing " + resolved.string());
  return OkStatus();
}

std::string JoinPath(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  if (b.empty()) return std::string(a);
  std::string out(a);
  while (!out.empty() && out.back() == '/') out.pop_back();
  while (!b.empty() && b.front() == '/') b.remove_prefix(1);
  out += '/';
  out += b;
  return out;
}

std::string_view TrimWhitespace(std::string_view s) {
  const char* ws = " \t\r\n\f\v";
  auto begin = s.find_first_not_of(ws);
  if (begin == std::string_view::npos) return {};
  auto end = s.find_last_not_of(ws);
  return s.substr(begin, end - begin + 1);
}

std::vector<std::string_view> SplitString(std::string_view s, char delimiter) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(delimiter, start);
    if (pos == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

std::vector<std::string_view> SplitWhitespace(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t start = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

namespace {
template <typename T>
Result<T> ParseIntegral(std::string_view s) {
  s = TrimWhitespace(s);
  T value{};
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) {
    return InvalidArgumentError("not an integer: '" + std::string(s) + "'");
  }
  return value;
}
}  // namespace

Result<int64_t> ParseInt64(std::string_view s) { return ParseIntegral<int64_t>(s); }
Result<uint64_t> ParseUint64(std::string_view s) { return ParseIntegral<uint64_t>(s); }

Result<double> ParseDouble(std::string_view s) {
  s = TrimWhitespace(s);
  std::string copy(s);
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(copy.c_str(), &end);
  if (copy.empty() || end != copy.c_str() + copy.size() || errno == ERANGE) {
    return InvalidArgumentError("not a number: '" + copy + "'");
  }
  return v;
}

}  // namespace tailor
