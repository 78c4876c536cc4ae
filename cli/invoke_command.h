// `tailorctl invoke FUNCTION [--data @FILE | --data - | --data TEXT] [--verbose] [--async]`:
// runs a function through the scheduler's gateway and prints its output on stdout (with
// --verbose, the node, allocation and run report on stderr; with --async, the queued id).
// `tailorctl result ID [--wait]`: an async invocation's state and, once done, its output.
// When the function did not succeed, both say so on stderr (the outcome, why, and the end of
// its stderr) and exit with the outcome's code (cli/outcome_exit_code.h).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "cli/global_options.h"

namespace tailor::cli {

struct InvokeOptions {
  std::string function;
  std::string version;
  std::string data;
  bool verbose = false;
  bool async = false;
  uint32_t function_timeout_ms = 0;
  std::string policy;
  std::string idempotency_key;
  std::string callback_url;
};
struct ResultOptions {
  std::string id;
  bool wait = false;
  int64_t wait_timeout_ms = 60'000;
};

CLI::App* AddInvokeCommand(CLI::App& app, InvokeOptions& options);
int RunInvoke(const GlobalOptions& global, const InvokeOptions& options);
CLI::App* AddResultCommand(CLI::App& app, ResultOptions& options);
int RunResult(const GlobalOptions& global, const ResultOptions& options);

}  // namespace tailor::cli
