// tailorctl: the command-line client for operators.
#include <iostream>

#include "cli/access_command.h"
#include "cli/certs_command.h"
#include "cli/functions_command.h"
#include "cli/invoke_command.h"
#include "cli/nodes_command.h"
#include "cli/profile_command.h"
#include "cli/replay_command.h"
#include "cli/scheduler_connection.h"
#include "cli/schedules_command.h"
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
  app.add_option("--ca-file", global.credentials.ca_file,
                 "The cluster CA certificate the scheduler is verified with")
      ->envname("TAILOR_CA_FILE");
  app.add_option("--token-file", global.credentials.token_file,
                 "File holding your bearer token (else $TAILOR_TOKEN holds the token)")
      ->envname("TAILOR_TOKEN_FILE");
  app.add_option("--tls-dir", global.credentials.tls_dir,
                 "Client certificate directory (ca.crt, tls.crt, tls.key) instead of a token")
      ->envname("TAILOR_TLS_DIR");
  app.add_flag("--insecure", global.credentials.insecure,
               "Plaintext, no credentials: only for a scheduler run with --insecure-allow-anyone")
      ->envname("TAILOR_INSECURE");

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
  cli::SchedulesOptions schedules_opts;
  CLI::App* schedules = cli::AddSchedulesCommand(app, schedules_opts);
  cli::TokensOptions tokens_opts;
  cli::CertsOptions certs_opts;
  CLI::App* tokens = cli::AddTokensCommand(app, tokens_opts);
  CLI::App* whoami = cli::AddWhoAmICommand(app);
  CLI::App* certs = cli::AddCertsCommand(app, certs_opts);
  if (auto exit_code = ParseCommandLine(app, common, argc, argv)) return *exit_code;
  // CLI11 fills --scheduler from the config file as if it were a flag; the environment must
  // still win over the file, so keep the file's value apart unless the flag was typed.
  if (!cli::GivenOnCommandLine(argc, argv, "--scheduler")) {
    global.config_scheduler = global.scheduler;
    global.scheduler.clear();
  }
  if (*certs) return cli::RunCerts(certs_opts);
  auto security = cli::ResolveCredentials(global.credentials);
  if (!security.ok()) {
    std::cerr << "error: " << security.status().message() << "\n";
    return 2;
  }
  global.security = *security;
  if (*tokens) return cli::RunTokens(global, tokens_opts);
  if (*whoami) return cli::RunWhoAmI(global);
  if (*nodes) return cli::RunNodes(global, nodes_opts);
  if (*deploy) return cli::RunDeploy(global, deploy_opts);
  if (*functions) return cli::RunFunctions(global, functions_opts);
  if (*invoke) return cli::RunInvoke(global, invoke_opts);
  if (*result) return cli::RunResult(global, result_opts);
  if (*profile) return cli::RunProfile(global, profile_function);
  if (*explain) return cli::RunExplain(global, explain_decision);
  if (*replay) return cli::RunReplay(global, replay_opts);
  if (*top) return cli::RunTop(global, top_opts);
  if (*schedules) return cli::RunSchedules(global, schedules_opts);
  return 2;
}
