// `tailorctl top`: a live view of the cluster. Every --interval-ms it asks the scheduler for
// its nodes (health, load, what is running) and its newest placement decisions (function,
// node, policy, whether it explored, predicted against measured duration, allocation) and
// redraws the screen; --once prints one view and exits (scripts, and -o json).
//
// Thread-safety: call from main only.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "cli/global_options.h"
#include "tailor/v1/membership.pb.h"
#include "tailor/v1/placement.pb.h"

namespace tailor::cli {

struct TopOptions {
  int64_t interval_ms = 1000;
  uint32_t decisions = 15;
  std::string function;
  bool once = false;
  uint32_t iterations = 0;  // 0: until interrupted
};

// What one refresh shows.
struct TopSnapshot {
  std::string scheduler;
  v1::ListNodesResponse nodes;
  v1::ListDecisionsResponse decisions;
};

// The view as text (tables) and as JSON; `now_unix_ms` ages the decisions.
std::string RenderTop(const TopSnapshot& snapshot, int64_t now_unix_ms);
std::string RenderTopJson(const TopSnapshot& snapshot, bool pretty);

CLI::App* AddTopCommand(CLI::App& app, TopOptions& options);
int RunTop(const GlobalOptions& global, const TopOptions& options);

}  // namespace tailor::cli
