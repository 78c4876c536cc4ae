// UniqueFd: an owned file descriptor, closed when it goes out of scope.
// Thread-safety: as an int.
#pragma once

#include <unistd.h>

#include <utility>

namespace tailor {

struct UniqueFd {
  int fd = -1;
  UniqueFd() = default;
  explicit UniqueFd(int f) : fd(f) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  UniqueFd(UniqueFd&& other) noexcept : fd(other.fd) { other.fd = -1; }
  ~UniqueFd() { Close(); }
  void Close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  // Gives up ownership.
  int Release() { return std::exchange(fd, -1); }
};

}  // namespace tailor
