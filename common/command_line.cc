#include "common/command_line.h"

#include <iostream>

#include "common/logging.h"

namespace tailor {

void SetUpCommandLine(CLI::App& app, CommonOptions& common) {
  app.option_defaults()->always_capture_default();
  app.set_config("--config", "", "Read options from this TOML file; flags given here win");
  app.get_config_ptr()->capture_default_str();
  app.add_option("--log-level", common.log_level, "Log level: debug, info, warn, error, off")
      ->capture_default_str();
  app.add_option("--log-format", common.log_format, "Log line format: text or json")
      ->capture_default_str();
  app.get_formatter()->column_width(42);
}

std::optional<int> ParseCommandLine(CLI::App& app, const CommonOptions& common, int argc,
                                    const char* const* argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every usage error exits 2, whatever CLI11's own code.
    return app.exit(e) == 0 ? 0 : 2;
  }
  auto level = log::ParseLevel(common.log_level);
  auto format = log::ParseFormat(common.log_format);
  if (!level.ok() || !format.ok()) {
    std::cerr << "error: " << (!level.ok() ? level.status() : format.status()).message() << "\n";
    return 2;
  }
  log::Init(*level, *format);
  return std::nullopt;
}

}  // namespace tailor
