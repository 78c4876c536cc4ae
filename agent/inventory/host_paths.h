// HostPaths: where the agent finds the host's /proc and /sys.
//
// Production uses the real root "/"; tests point `root` at a fixture tree
// (tests/fixtures/hosts/<name>/proc/..., .../sys/...), so every reader is exercised on
// captured files of hosts the test machine is not. Absolute paths found inside the host's own
// files (a mount point read from /proc/self/mounts) are resolved under the same root.
#pragma once

#include <string>
#include <string_view>

#include "common/file_util.h"

namespace tailor::agent {

struct HostPaths {
  std::string root = "/";

  // Resolves an absolute host path ("/proc/meminfo") under root.
  std::string Resolve(std::string_view host_path) const {
    if (root == "/" || root.empty()) return std::string(host_path);
    return JoinPath(root, host_path);
  }
};

}  // namespace tailor::agent
