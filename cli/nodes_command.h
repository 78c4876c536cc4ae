// `tailorctl nodes`: the cluster's nodes with health, last heartbeat, cores, memory and key
// CPU features.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "cli/global_options.h"
#include "tailor/v1/membership.pb.h"

namespace tailor::cli {

CLI::App* AddNodesCommand(CLI::App& app);
int RunNodes(const GlobalOptions& global);

// "healthy", "unhealthy", "unknown".
std::string HealthName(v1::NodeHealth health);
// The features an operator reads a node by ("aes,sha_ni,avx2"), or "-".
std::string KeyFeatures(const v1::HostInventory& inventory);

}  // namespace tailor::cli
