// PlanSandboxFs: the file system a sandboxed run sees, as the list of operations its child
// performs (in its own mount namespace, as root, before dropping to the run's user).
//
// Pure: it builds strings and numbers only, so tailor-run-spawner can plan before it clones
// and the clone, which shares the spawner's memory until it execs, performs the operations
// with system calls alone. Unit-tested here; the hostile-function suite tests the result.
//
// The root is assembled on `root_dir`, an empty host directory (mounts there happen in the
// run's own mount namespace, which is made private first, so the host never sees them):
//
//   host views (no rootfs):  a small read-only tmpfs holding the mount points; the host's
//                            /usr (and /lib*, /bin, /sbin: bound read-only, or symlinks where
//                            the host has symlinks) and the agent's filtered /etc, read-only
//   rootfs bundle:           the bundle's rootfs/ bound read-only as / (it must have the
//                            directories proc, dev, tmp and function; the agent makes them)
//   both:                    /function   the bundle, read-only, nosuid, nodev
//                            /tmp        a private tmpfs of tmp_bytes (mode 1777), and
//                            /dev/shm    another one; their pages count against the run's memory
//                            /dev        a tmpfs with null, zero, full, random, urandom, and
//                                        fd, stdin, stdout, stderr links into /proc
//                            /proc       the run's own pid namespace
//   then pivot_root into it and detach the old root, so nothing of the host stays reachable.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "agent/runtime/spawn_protocol.h"

namespace tailor::agent::spawn {

struct FsOp {
  enum class Kind : uint8_t { kMount, kMkdir, kSymlink, kMknod, kPivotRoot };
  Kind kind = Kind::kMount;
  std::string source;  // kMount: what to mount (nullptr when empty); kSymlink: the link's target
  std::string target;  // the path acted on
  std::string fstype;  // kMount: nullptr when empty
  std::string data;    // kMount: options, nullptr when empty
  unsigned long flags = 0;  // kMount: MS_* flags
  uint32_t mode = 0;        // kMkdir, kMknod
  uint64_t device = 0;      // kMknod: makedev(major, minor)
};

// The operations for `box` (which has kNsMount), in order. Every path is absolute.
std::vector<FsOp> PlanSandboxFs(const SandboxRequest& box);

// The same root in two parts, for host views (no rootfs): the template, which
// tailor-run-spawner makes once in its own mount namespace (a slave of the host's, so nothing
// of it reaches the host, and it goes when the spawner does), holds everything runs share,
// all of it read-only: the root's mount points, the host views and /etc, and /dev with its
// nodes. A run's mount namespace starts as a copy of the spawner's, so the run then only adds
// its own /tmp, /dev/shm, bundle and /proc and pivots (PlanSandboxRunOnTemplate): a third of
// the operations. Shared mounts are read-only because a copied mount shares its file system
// with the original: a writable shared /dev would let one run leave files for the next.
std::vector<FsOp> PlanSandboxTemplate(const SandboxRequest& box);
std::vector<FsOp> PlanSandboxRunOnTemplate(const SandboxRequest& box);
// What identifies a template: runs with the same key share one.
std::string SandboxTemplateKey(const SandboxRequest& box);
// A StartFailure detail >= kOnTemplateDetailBase is an index into PlanSandboxRunOnTemplate
// (detail - base); below it, into PlanSandboxFs.
inline constexpr int kOnTemplateDetailBase = 10000;

}  // namespace tailor::agent::spawn
