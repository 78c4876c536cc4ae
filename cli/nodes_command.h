// `tailorctl nodes`: the cluster's nodes with health, last heartbeat, cores, memory and key
// CPU features.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "cli/global_options.h"

namespace tailor::cli {

CLI::App* AddNodesCommand(CLI::App& app);
int RunNodes(const GlobalOptions& global);

}  // namespace tailor::cli
