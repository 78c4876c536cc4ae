// Command-line and configuration-file handling shared by the three binaries.
//
// Every binary builds a CLI::App, declares its options with their defaults, and calls
// SetUpCommandLine. After that:
//   - `--config FILE` reads options from a TOML file ([section] names map to subcommands);
//     an option given as a flag on the command line wins over the file;
//   - `--help` lists every option with its default value;
//   - `--log-level` and `--log-format` exist and are applied by ParseCommandLine.
//
// Thread-safety: call from main only.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "common/status.h"

namespace tailor {

struct CommonOptions {
  std::string log_level = "info";
  std::string log_format = "text";
};

void SetUpCommandLine(CLI::App& app, CommonOptions& common);

// Parses argv. Returns std::nullopt when the program should continue, or the exit code to
// return from main (0 after --help, 2 after a usage error, which is printed to stderr).
std::optional<int> ParseCommandLine(CLI::App& app, const CommonOptions& common, int argc,
                                    const char* const* argv);

}  // namespace tailor
