#include "common/command_line.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace tailor {
namespace {

struct Parsed {
  std::optional<int> exit_code;
  std::string listen = "127.0.0.1:7400";
  int64_t lease_ms = 5000;
  std::string node;
};

Parsed Parse(std::vector<std::string> args) {
  CLI::App app{"test"};
  CommonOptions common;
  SetUpCommandLine(app, common);
  Parsed p;
  app.add_option("--listen", p.listen, "listen address");
  app.add_option("--lease-timeout-ms", p.lease_ms, "lease");
  auto* run = app.add_subcommand("run", "run it");
  run->add_option("--node-id", p.node, "node");
  args.insert(args.begin(), "prog");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  ::testing::internal::CaptureStdout();
  p.exit_code = ParseCommandLine(app, common, static_cast<int>(argv.size()), argv.data());
  ::testing::internal::GetCapturedStdout();
  return p;
}

TEST(CommandLineTest, DefaultsWithoutFileOrFlags) {
  Parsed p = Parse({});
  EXPECT_FALSE(p.exit_code.has_value());
  EXPECT_EQ(p.listen, "127.0.0.1:7400");
  EXPECT_EQ(p.lease_ms, 5000);
}

TEST(CommandLineTest, ConfigFileSetsOptionsAndFlagsWin) {
  tailor::testing::TempDir dir;
  dir.Write("tailor.toml",
            "listen = \"0.0.0.0:9000\"\n"
            "lease-timeout-ms = 2500\n"
            "[run]\n"
            "node-id = \"from-file\"\n");
  Parsed from_file = Parse({"--config", dir.File("tailor.toml"), "run"});
  ASSERT_FALSE(from_file.exit_code.has_value());
  EXPECT_EQ(from_file.listen, "0.0.0.0:9000");
  EXPECT_EQ(from_file.lease_ms, 2500);
  EXPECT_EQ(from_file.node, "from-file");

  Parsed flag_wins =
      Parse({"--config", dir.File("tailor.toml"), "--lease-timeout-ms", "900", "run"});
  EXPECT_EQ(flag_wins.lease_ms, 900);
  EXPECT_EQ(flag_wins.listen, "0.0.0.0:9000");
}

TEST(CommandLineTest, HelpListsEveryOptionWithItsDefault) {
  CLI::App app{"test"};
  CommonOptions common;
  SetUpCommandLine(app, common);
  std::string listen = "127.0.0.1:7400";
  app.add_option("--listen", listen, "listen address");
  std::string help = app.help();
  EXPECT_NE(help.find("--listen TEXT=127.0.0.1:7400"), std::string::npos) << help;
  EXPECT_NE(help.find("--log-level TEXT=info"), std::string::npos) << help;
  EXPECT_NE(help.find("--config"), std::string::npos) << help;
}

TEST(CommandLineTest, BadLogLevelIsAUsageError) {
  Parsed p = Parse({"--log-level", "loud"});
  ASSERT_TRUE(p.exit_code.has_value());
  EXPECT_EQ(*p.exit_code, 2);
}

TEST(CommandLineTest, MissingConfigFileIsAnError) {
  Parsed p = Parse({"--config", "/nonexistent/tailor.toml"});
  ASSERT_TRUE(p.exit_code.has_value());
  EXPECT_NE(*p.exit_code, 0);
}

}  // namespace
}  // namespace tailor
