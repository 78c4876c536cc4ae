// `tailorctl deploy PATH...`: packs each bundle directory (or sends each .tar.gz) to the
// registry. `tailorctl functions [--all]`: the deployed functions and versions.
// `tailorctl functions remove NAME`: no new invocations; runs and profile are kept.
// `tailorctl functions callback-secret NAME`: the hex key its completion callbacks are signed
// with, for the receiver to check Tailor-Signature.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "cli/global_options.h"

namespace tailor::cli {

struct DeployOptions {
  std::string tenant;  // empty: the caller's own
  std::vector<std::string> paths;
};
struct FunctionsOptions {
  bool all = false;
  std::string remove;
  std::string callback_secret;  // the function whose callback secret to print
};

CLI::App* AddDeployCommand(CLI::App& app, DeployOptions& options);
int RunDeploy(const GlobalOptions& global, const DeployOptions& options);
CLI::App* AddFunctionsCommand(CLI::App& app, FunctionsOptions& options);
int RunFunctions(const GlobalOptions& global, const FunctionsOptions& options);

}  // namespace tailor::cli
