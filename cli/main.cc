// tailorctl: the command-line client for operators.
#include "cli/functions_command.h"
#include "cli/invoke_command.h"
#include "cli/nodes_command.h"
#include "cli/profile_command.h"
#include "cli/replay_command.h"
#include "cli/scheduler_connection.h"
#include "cli/top_command.h"
#include "common/command_line.h"
#include "common/version.h"

int main(int argc, char** argv) {
  using namespace tailor;
  CLI::App app{"tailorctl: inspect and drive a Tailor cluster"};
  app.set_version_flag("--version", kTailorVersion);
  CommonOptions common;
  common.log_level = "warn";
  SetUpCommandLine(app, common);
  // tailorctl also reads a per-user config file when --config is not given (if it exists).
  const std::string default_config = cli::DefaultConfigPath();
  app.set_config("--config", default_config,
                 "Read options from this TOML file (default: $TAILOR_CONFIG, else "
                 "~/.config/tailor/tailorctl.toml, if it exists); flags and $TAILOR_SCHEDULER win");
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the subcommand: tailorctl nodes -o json

  cli::GlobalOptions global;
  app.add_option("--scheduler", global.scheduler,
                 "Scheduler address; else $TAILOR_SCHEDULER, else `scheduler` in the config "
                 "file, else 127.0.0.1:7400");
  app.add_option("-o,--output", global.output, "Output format: table or json")
      ->check(CLI::IsMember({"table", "json"}));
  app.add_option("--timeout-ms", global.timeout_ms, "Deadline of each call to the scheduler");

  cli::DeployOptions deploy_opts;
  cli::FunctionsOptions functions_opts;
  cli::InvokeOptions invoke_opts;
  cli::ResultOptions result_opts;
  cli::ReplayOptions replay_opts;
  cli::TopOptions top_opts;
  cli::NodesOptions nodes_opts;
  std::string profile_function, explain_decision;
  CLI::App* nodes = cli::AddNodesCommand(app, nodes_opts);
  CLI::App* deploy = cli::AddDeployCommand(app, deploy_opts);
  CLI::App* functions = cli::AddFunctionsCommand(app, functions_opts);
  CLI::App* invoke = cli::AddInvokeCommand(app, invoke_opts);
  CLI::App* result = cli::AddResultCommand(app, result_opts);
  CLI::App* profile = cli::AddProfileCommand(app, profile_function);
  CLI::App* explain = cli::AddExplainCommand(app, explain_decision);
  CLI::App* replay = cli::AddReplayCommand(app, replay_opts);
  CLI::App* top = cli::AddTopCommand(app, top_opts);
  if (auto exit_code = ParseCommandLine(app, common, argc, argv)) return *exit_code;
  // CLI11 fills --scheduler from the config file as if it were a flag; the environment must
  // still win over the file, so keep the file's value apart unless the flag was typed.
  if (!cli::GivenOnCommandLine(argc, argv, "--scheduler")) {
    global.config_scheduler = global.scheduler;
    global.scheduler.clear();
  }
  if (*nodes) return cli::RunNodes(global, nodes_opts);
  if (*deploy) return cli::RunDeploy(global, deploy_opts);
  if (*functions) return cli::RunFunctions(global, functions_opts);
  if (*invoke) return cli::RunInvoke(global, invoke_opts);
  if (*result) return cli::RunResult(global, result_opts);
  if (*profile) return cli::RunProfile(global, profile_function);
  if (*explain) return cli::RunExplain(global, explain_decision);
  if (*replay) return cli::RunReplay(global, replay_opts);
  if (*top) return cli::RunTop(global, top_opts);
  return 2;
}
