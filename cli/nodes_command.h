// `tailorctl nodes`: the cluster's nodes with health, last heartbeat, cores, memory and key
// CPU features.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace tailor::cli {

struct GlobalOptions {
  std::string scheduler;
  std::string output = "table";
  int64_t timeout_ms = 5000;
};

CLI::App* AddNodesCommand(CLI::App& app);
int RunNodes(const GlobalOptions& global);

}  // namespace tailor::cli
