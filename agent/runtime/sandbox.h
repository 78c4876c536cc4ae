// Sandbox: how this agent isolates runs, and the SandboxRequest for each one
// (agent/runtime/spawn_protocol.h; the spawner makes it, agent/runtime/sandbox_plan.h says how).
//
// Prepare() readies, under the agent's data directory, `sandbox/root` (an empty directory
// each run's root is assembled on, in the run's own mount namespace) and `sandbox/etc` (the
// /etc a run sees with host views: a few files copied from the host's, and a passwd and group
// without the host's users). For() then describes one run: its namespaces (all of them, less
// what the operator opted out of, less the network namespace for a function that asks for
// the network where the agent allows it), the bundle at /function, a bundle's rootfs/ as /,
// a /tmp and /dev/shm of at most the run's memory, the open-files limit and the syscall filter.
//
// docs/security.md has the isolation model.
// Thread-safety: const methods may be called concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "agent/runtime/function_store.h"
#include "agent/runtime/spawn_protocol.h"
#include "common/status.h"

namespace tailor::agent {

inline constexpr const char kSandboxBundleDir[] = "/function";
inline constexpr const char kRootfsDirName[] = "rootfs";

struct SandboxOptions {
  // The namespaces runs get (spawn::Namespace bits); the operator's opt-outs are removed.
  uint32_t namespaces = spawn::kAllNamespaces;
  bool seccomp = true;
  std::string state_dir;                  // <agent data>/sandbox
  uint64_t tmp_max_bytes = 256ull << 20;  // /tmp and /dev/shm, each (the memory limit caps both)
  uint64_t open_files = 1024;             // RLIMIT_NOFILE
  bool allow_network = false;             // may `network = "outbound"` functions run here?
};

// The kinds of isolation, by the name flags and docs use: pid, mount, ipc, uts, network,
// seccomp. INVALID_ARGUMENT for anything else; "all" is every kind.
Result<std::vector<std::string>> ParseIsolationKinds(const std::string& comma_list);
// Options with the given kinds turned off.
void DisableIsolation(const std::vector<std::string>& kinds, SandboxOptions& options);

// What a node's runs are isolated by: "full", "partial" or "none", and the kinds missing.
struct IsolationLevel {
  std::string level;
  std::vector<std::string> missing;  // in the order above
  std::string ToString() const;      // "full", "partial (no network, seccomp)", "none"
};
IsolationLevel IsolationOf(const SandboxOptions& options);

class Sandbox {
 public:
  // Makes state_dir/root and state_dir/etc (replacing an earlier etc) and reads which host
  // directories a run sees (/usr, and /bin, /sbin, /lib* as the host has them).
  static Result<std::unique_ptr<Sandbox>> Prepare(SandboxOptions options);

  // The sandbox for one run of `fn` with this memory limit (0: none).
  // FAILED_PRECONDITION for a function that asks for the network where that is not allowed.
  Result<spawn::SandboxRequest> For(const InstalledFunction& fn, uint64_t memory_limit_bytes) const;

  // A sandbox like every run's, around an empty bundle (state_dir/probe), to check at start
  // that this host can make one.
  spawn::SandboxRequest Probe() const;

  // Where a run sees `fn`'s entrypoint and working directory.
  std::string EntrypointInside(const InstalledFunction& fn) const;
  std::string WorkingDirInside(const InstalledFunction& fn) const;

  const SandboxOptions& options() const { return options_; }
  bool mounts() const { return (options_.namespaces & spawn::kNsMount) != 0; }

 private:
  explicit Sandbox(SandboxOptions options) : options_(std::move(options)) {}
  SandboxOptions options_;
  std::vector<std::string> views_;
};

}  // namespace tailor::agent
