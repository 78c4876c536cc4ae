#include "agent/runtime/function_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "common/bundle_archive.h"
#include "common/file_util.h"
#include "tests/support/temp_dir.h"

namespace tailor::agent {
namespace {

using ::testing::HasSubstr;
using tailor::testing::TempDir;

void WriteBundle(const TempDir& dir, const std::string& folder, const std::string& version) {
  dir.Write(folder + "/tailor.toml",
            "name = 'echo'\nversion = '" + version + "'\nentrypoint = 'bin/run'\n");
  dir.Write(folder + "/bin/run", "#!/bin/sh\ncat\n");
  chmod(dir.File(folder + "/bin/run").c_str(), 0755);
}

TEST(FunctionStoreTest, InstallsDirectoriesAndTarGzAndReloads) {
  TempDir dir;
  WriteBundle(dir, "v1", "1");
  WriteBundle(dir, "v2", "2");
  ASSERT_TRUE(WriteFile(dir.File("echo-2.tar.gz"), *PackBundle(dir.File("v2"))).ok());
  {
    FunctionStore store(dir.File("store"));
    ASSERT_TRUE(store.Load().ok());
    ASSERT_TRUE(store.Install(dir.File("v1")).ok());
    auto installed = store.Install(dir.File("echo-2.tar.gz"));
    ASSERT_TRUE(installed.ok()) << installed.status();
    EXPECT_EQ(installed->manifest.version, "2");
    EXPECT_EQ(installed->bundle_dir, JoinPath(dir.File("store"), "echo/2"));
    EXPECT_EQ(store.Lookup("echo", "")->manifest.version, "2");
  }
  FunctionStore reloaded(dir.File("store"));
  ASSERT_TRUE(reloaded.Load().ok());
  EXPECT_TRUE(reloaded.Lookup("echo", "1").ok());
  EXPECT_TRUE(reloaded.Lookup("echo", "2").ok());
  auto entries = ListDirectory(dir.File("store"));
  EXPECT_EQ(entries->size(), 1u) << "no unpack scratch space left behind";
}

TEST(FunctionStoreTest, RefusesABadArchiveNamingIt) {
  TempDir dir;
  dir.Write("broken.tar.gz", "not an archive");
  FunctionStore store(dir.File("store"));
  ASSERT_TRUE(store.Load().ok());
  auto installed = store.Install(dir.File("broken.tar.gz"));
  EXPECT_EQ(installed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(installed.status().message(), HasSubstr("broken.tar.gz"));
  EXPECT_EQ(store.Lookup("echo", "").status().code(), StatusCode::kNotFound);
}

// A bundle that names itself like a path step is refused before anything on disk is touched:
// version ".." once made the store remove_all(<root>/<name>/..), i.e. every installed function,
// and name ".." with version ".." the folder above the data directory.
TEST(FunctionStoreTest, NamesThatArePathStepsAreRefusedAndNothingIsDeleted) {
  TempDir dir;
  WriteBundle(dir, "good", "1");
  dir.Write("data/keep-me", "the agent's own data");
  FunctionStore store(dir.File("data/functions"));
  ASSERT_TRUE(store.Load().ok());
  ASSERT_TRUE(store.Install(dir.File("good")).ok());
  for (const auto& [name, version] : std::vector<std::pair<std::string, std::string>>{
           {"echo", ".."}, {"..", ".."}, {"..", "1"}, {".", "."}, {"echo", "-rf"}}) {
    const std::string folder = "bad-" + std::to_string(std::hash<std::string>{}(name + version));
    dir.Write(folder + "/tailor.toml",
              "name = '" + name + "'\nversion = '" + version + "'\nentrypoint = 'bin/run'\n");
    dir.Write(folder + "/bin/run", "#!/bin/sh\ncat\n");
    chmod(dir.File(folder + "/bin/run").c_str(), 0755);
    auto from_dir = store.Install(dir.File(folder));
    EXPECT_EQ(from_dir.status().code(), StatusCode::kInvalidArgument) << name << " " << version;
    auto from_archive = store.InstallArchive(*PackBundle(dir.File(folder)));
    EXPECT_EQ(from_archive.status().code(), StatusCode::kInvalidArgument) << name << " " << version;
  }
  EXPECT_TRUE(store.Lookup("echo", "1").ok()) << "the installed function survives";
  EXPECT_TRUE(PathExists(dir.File("data/functions/echo/1/tailor.toml")));
  EXPECT_TRUE(PathExists(dir.File("data/keep-me")));
  EXPECT_EQ(store.Lookup("..", "..").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace tailor::agent
