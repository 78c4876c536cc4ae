// `tailorctl schedules`: functions invoked on a schedule (docs/lambda.md, "Schedules").
//   tailorctl schedules create NAME FUNCTION --expression 'rate(5 minutes)' [--version V]
//                                   [--data JSON | --data-file FILE]
//   tailorctl schedules            list them (next and last firing, the last invocation)
//   tailorctl schedules delete NAME
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "cli/global_options.h"

namespace tailor::cli {

struct SchedulesOptions {
  std::string name;
  std::string function;
  std::string version;
  std::string expression;
  std::string data;
  std::string data_file;
  std::string remove;
  CLI::App* create = nullptr;
  CLI::App* remove_cmd = nullptr;
};

CLI::App* AddSchedulesCommand(CLI::App& app, SchedulesOptions& options);
int RunSchedules(const GlobalOptions& global, const SchedulesOptions& options);

}  // namespace tailor::cli
