// `tailorctl nodes`: the cluster's nodes with health (and whether draining), last heartbeat,
// cores, memory and key CPU features.
// `tailorctl nodes drain NODE` / `undrain NODE`: no new placements there / take them again.
// `tailorctl nodes remove NODE`: forget a node (drain it and stop its agent first: a running
// agent registers again).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "cli/global_options.h"
#include "tailor/v1/membership.pb.h"

namespace tailor::cli {

struct NodesOptions {
  std::string node_id;
  CLI::App* drain = nullptr;
  CLI::App* undrain = nullptr;
  CLI::App* remove = nullptr;
};

CLI::App* AddNodesCommand(CLI::App& app, NodesOptions& options);
int RunNodes(const GlobalOptions& global, const NodesOptions& options);

// "healthy", "unhealthy", "unknown".
std::string HealthName(v1::NodeHealth health);
// The features an operator reads a node by ("aes,sha_ni,avx2"), or "-".
std::string KeyFeatures(const v1::HostInventory& inventory);
// "full", "partial (no network,seccomp)", "none", or "unknown" for an agent that does not say.
std::string IsolationText(const v1::Isolation& isolation);

}  // namespace tailor::cli
