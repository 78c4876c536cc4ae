#include "agent/runtime/netns_pool.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "common/logging.h"

namespace tailor::agent {
namespace {

Status LoopbackUp() {
  const int sock = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return ErrnoToStatus(errno, "socket in the new network namespace");
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  Status s;
  if (::ioctl(sock, SIOCGIFFLAGS, &ifr) != 0) {
    s = ErrnoToStatus(errno, "reading loopback's flags");
  } else {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    if (::ioctl(sock, SIOCSIFFLAGS, &ifr) != 0) s = ErrnoToStatus(errno, "bringing loopback up");
  }
  ::close(sock);
  return s;
}

}  // namespace

NetnsPool::NetnsPool(size_t target, size_t max_idle) : target_(target), max_idle_(max_idle) {
  thread_ = std::thread([this] { Fill(); });
}

NetnsPool::~NetnsPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wanted_.notify_all();
  thread_.join();
  for (int fd : ready_) ::close(fd);
  for (const auto& [key, fd] : idle_) ::close(fd);
}

Result<int> NetnsPool::MakeNamespace() {
  const int home = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home < 0) return ErrnoToStatus(errno, "opening this thread's network namespace");
  Status status;
  int made = -1;
  if (::unshare(CLONE_NEWNET) != 0) {
    status = ErrnoToStatus(errno, "making a network namespace");
  } else {
    made = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (made < 0) status = ErrnoToStatus(errno, "opening the new network namespace");
    if (status.ok()) status = LoopbackUp();
    if (::setns(home, CLONE_NEWNET) != 0) {
      // The thread cannot go home: nothing it opens later may land in a run's namespace.
      log::Error("cannot return a thread to the agent's network namespace", {{"errno", errno}});
      std::abort();
    }
  }
  ::close(home);
  if (!status.ok()) {
    if (made >= 0) ::close(made);
    return status;
  }
  return made;
}

Result<int> NetnsPool::Take(const std::string& key) {
  {
    std::lock_guard lock(mu_);
    for (auto it = idle_.rbegin(); it != idle_.rend(); ++it) {
      if (it->first != key) continue;
      const int fd = it->second;
      idle_.erase(std::next(it).base());
      return fd;
    }
    if (!ready_.empty()) {
      const int fd = ready_.front();
      ready_.pop_front();
      wanted_.notify_one();
      return fd;
    }
  }
  wanted_.notify_one();
  return MakeNamespace();
}

void NetnsPool::Return(const std::string& key, int fd) {
  int evicted = -1;
  {
    std::lock_guard lock(mu_);
    idle_.emplace_back(key, fd);
    if (idle_.size() > max_idle_) {
      evicted = idle_.front().second;
      idle_.pop_front();
    }
  }
  if (evicted >= 0) ::close(evicted);
}

void NetnsPool::Fill() {
  bool warned = false;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      wanted_.wait(lock, [&] { return stopping_ || ready_.size() < target_; });
      if (stopping_) return;
    }
    auto made = MakeNamespace();
    if (!made.ok()) {
      if (!warned) log::Warn("cannot prepare network namespaces", {{"error", made.status()}});
      warned = true;
      std::unique_lock lock(mu_);
      // Runs make their own (and fail visibly) meanwhile; try again later.
      wanted_.wait_for(lock, std::chrono::seconds(5), [&] { return stopping_; });
      continue;
    }
    std::lock_guard lock(mu_);
    ready_.push_back(*made);
  }
}

}  // namespace tailor::agent
