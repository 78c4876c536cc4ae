// `tailorctl profile FUNCTION`: what Tailor has learned about a function, per host class.
// `tailorctl explain DECISION`: every candidate of one placement decision with its score.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "cli/global_options.h"

namespace tailor::cli {

CLI::App* AddProfileCommand(CLI::App& app, std::string& function);
int RunProfile(const GlobalOptions& global, const std::string& function);
CLI::App* AddExplainCommand(CLI::App& app, std::string& decision_id);
int RunExplain(const GlobalOptions& global, const std::string& decision_id);

}  // namespace tailor::cli
