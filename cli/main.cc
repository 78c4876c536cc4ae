// tailorctl: the command-line client for operators.
#include "cli/nodes_command.h"
#include "common/command_line.h"
#include "common/version.h"

int main(int argc, char** argv) {
  using namespace tailor;
  CLI::App app{"tailorctl: inspect and drive a Tailor cluster"};
  app.set_version_flag("--version", kTailorVersion);
  CommonOptions common;
  common.log_level = "warn";
  SetUpCommandLine(app, common);
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the subcommand: tailorctl nodes -o json

  cli::GlobalOptions global;
  app.add_option("--scheduler", global.scheduler,
                 "Scheduler address; else $TAILOR_SCHEDULER, else 127.0.0.1:7400");
  app.add_option("-o,--output", global.output, "Output format: table or json")
      ->check(CLI::IsMember({"table", "json"}));
  app.add_option("--timeout-ms", global.timeout_ms, "Deadline of each call to the scheduler");

  CLI::App* nodes = cli::AddNodesCommand(app);
  if (auto exit_code = ParseCommandLine(app, common, argc, argv)) return *exit_code;
  if (*nodes) return cli::RunNodes(global);
  return 2;
}
