// The syscall filter every sandboxed run gets (SandboxRequest::seccomp), in the spirit of
// Docker's default profile: the calls an unprivileged function has no business making are
// refused with EPERM (so programs that probe for them carry on), and everything else is
// allowed. docs/security.md lists them with the reasons.
//
// tailor-run-spawner builds the BPF program once at start (with libseccomp) and each run's
// child installs it with one prctl before exec, after no_new_privs.
//
// Thread-safety: stateless.
#pragma once

#include <linux/filter.h>

#include <string_view>
#include <vector>

#include "common/status.h"

namespace tailor::agent {

// The denied system calls, by name (each one the running kernel or libseccomp does not know
// is skipped). Besides these: clone with any CLONE_NEW* flag is refused with EPERM, clone3
// with ENOSYS (its flags are in memory a filter cannot read, and glibc then falls back to
// clone), and a syscall of another architecture (32-bit int 0x80, x32) kills the process.
const std::vector<std::string_view>& DeniedSyscalls();

// The compiled filter. INTERNAL when libseccomp fails.
Result<std::vector<sock_filter>> BuildSeccompFilter();

}  // namespace tailor::agent
