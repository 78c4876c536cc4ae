#include "agent/runtime/seccomp_filter.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <string>

namespace tailor::agent {
namespace {

constexpr uint64_t kNewNamespaceFlags[] = {CLONE_NEWNS,  CLONE_NEWCGROUP, CLONE_NEWUTS,
                                           CLONE_NEWIPC, CLONE_NEWUSER,   CLONE_NEWPID,
                                           CLONE_NEWNET, 0x00000080 /* CLONE_NEWTIME */};

struct FilterDeleter {
  void operator()(scmp_filter_ctx ctx) const { seccomp_release(ctx); }
};

Status Failed(int rc, const std::string& what) {
  return InternalError("seccomp filter: " + what + ": " + std::string(strerror(-rc)));
}

// The program as libseccomp exports it, read back from a memory file.
Result<std::vector<sock_filter>> Export(scmp_filter_ctx ctx) {
  const int fd = memfd_create("tailor-seccomp", MFD_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, "memfd_create");
  std::vector<sock_filter> program;
  Status status;
  if (int rc = seccomp_export_bpf(ctx, fd); rc != 0) {
    status = Failed(rc, "export");
  } else {
    const off_t size = lseek(fd, 0, SEEK_END);
    if (size <= 0 || size % static_cast<off_t>(sizeof(sock_filter)) != 0) {
      status = InternalError("seccomp filter: exported " + std::to_string(size) + " bytes");
    } else {
      program.resize(static_cast<size_t>(size) / sizeof(sock_filter));
      if (pread(fd, program.data(), static_cast<size_t>(size), 0) != size) {
        status = ErrnoToStatus(errno, "reading the seccomp filter back");
      }
    }
  }
  close(fd);
  if (!status.ok()) return status;
  return program;
}

}  // namespace

const std::vector<std::string_view>& DeniedSyscalls() {
  static const std::vector<std::string_view> kDenied = {
      // file systems and the root
      "mount",
      "umount",
      "umount2",
      "pivot_root",
      "chroot",
      "fsopen",
      "fsconfig",
      "fsmount",
      "fspick",
      "move_mount",
      "open_tree",
      "mount_setattr",
      "swapon",
      "swapoff",
      "quotactl",
      "quotactl_fd",
      "open_by_handle_at",
      "name_to_handle_at",
      // namespaces
      "unshare",
      "setns",
      // other processes' memory
      "ptrace",
      "process_vm_readv",
      "process_vm_writev",
      "kcmp",
      "pidfd_getfd",
      // the kernel itself
      "kexec_load",
      "kexec_file_load",
      "init_module",
      "finit_module",
      "delete_module",
      "create_module",
      "reboot",
      "syslog",
      "acct",
      "bpf",
      "perf_event_open",
      "lookup_dcookie",
      "iopl",
      "ioperm",
      "uselib",
      "_sysctl",
      "sysfs",
      "ustat",
      "nfsservctl",
      "vm86",
      "vm86old",
      "get_kernel_syms",
      "query_module",
      "userfaultfd",
      "personality",
      "io_uring_setup",
      "io_uring_enter",
      "io_uring_register",
      "fanotify_init",
      // keys
      "keyctl",
      "add_key",
      "request_key",
      // the clock
      "settimeofday",
      "stime",
      "clock_settime",
      "clock_settime64",
      "clock_adjtime",
      "clock_adjtime64",
      "adjtimex",
      // NUMA placement is the agent's
      "mbind",
      "set_mempolicy",
      "migrate_pages",
      "move_pages",
  };
  return kDenied;
}

Result<std::vector<sock_filter>> BuildSeccompFilter() {
  std::unique_ptr<void, FilterDeleter> ctx(seccomp_init(SCMP_ACT_ALLOW));
  if (!ctx) return InternalError("seccomp filter: seccomp_init failed");
  // The spawner's child sets no_new_privs itself, in its own order.
  if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0); rc != 0) {
    return Failed(rc, "attribute");
  }
  // Only the native architecture: anything else kills the process.
  if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
      rc != 0) {
    return Failed(rc, "bad-arch action");
  }
  for (std::string_view name : DeniedSyscalls()) {
    const int nr = seccomp_syscall_resolve_name(std::string(name).c_str());
    if (nr == __NR_SCMP_ERROR || nr < 0) continue;  // not a syscall on this architecture
    if (int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(EPERM), nr, 0); rc != 0) {
      return Failed(rc, "rule for " + std::string(name));
    }
  }
  // One rule per flag: rules on one syscall are alternatives, and a masked comparison can
  // only test for equality.
  for (uint64_t flag : kNewNamespaceFlags) {
    if (int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                                  SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag));
        rc != 0) {
      return Failed(rc, "clone rule");
    }
  }
  if (int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0); rc != 0) {
    return Failed(rc, "clone3 rule");
  }
  return Export(ctx.get());
}

}  // namespace tailor::agent
