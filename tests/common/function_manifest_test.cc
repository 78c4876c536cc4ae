// Manifests: unknown keys name their nearest known key; names that are path steps, reserved
// environment variables and out-of-range limits are refused; an entrypoint the run user (who
// does not own the bundle) cannot run is refused at deploy, not at the first run.
#include "common/function_manifest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tests/support/temp_dir.h"

namespace tailor {
namespace {

using ::testing::HasSubstr;

constexpr char kBase[] = "name = 'f'\nversion = '1'\nentrypoint = 'run.sh'\n";

Status Parse(const std::string& extra) { return ParseManifest(kBase + extra).status(); }

TEST(ManifestKeysTest, AnUnknownKeyIsAnErrorNamingTheNearestKnownOne) {
  Status typo = Parse("timeout = 5000\n");
  EXPECT_EQ(typo.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(typo.message(), HasSubstr("unknown key 'timeout'"));
  EXPECT_THAT(typo.message(), HasSubstr("did you mean 'timeout_ms'?"));
  EXPECT_THAT(Parse("idempotant = true\n").message(), HasSubstr("did you mean 'idempotent'?"));
  EXPECT_THAT(Parse("max_output = 10\n").message(), HasSubstr("did you mean 'max_output_bytes'?"));
  Status far = Parse("colour = 'blue'\n");
  EXPECT_THAT(far.message(), HasSubstr("unknown key 'colour'"));
  EXPECT_THAT(far.message(), ::testing::Not(HasSubstr("did you mean")));
}

TEST(ManifestKeysTest, NetworkIsNoneUnlessTheFunctionAsksForOutbound) {
  EXPECT_EQ(ParseManifest(kBase)->network, FunctionNetwork::kNone);
  EXPECT_EQ(ParseManifest(std::string(kBase) + "network = 'outbound'\n")->network,
            FunctionNetwork::kOutbound);
  EXPECT_EQ(ParseManifest(std::string(kBase) + "network = 'none'\n")->network,
            FunctionNetwork::kNone);
  for (const char* bad : {"network = 'host'\n", "network = true\n"}) {
    Status s = Parse(bad);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(s.message(), HasSubstr("network")) << bad;
  }
}

TEST(ManifestKeysTest, PrefersIsASortedSetOfFeatureNames) {
  EXPECT_TRUE(ParseManifest(kBase)->prefers.empty());
  EXPECT_EQ(ParseManifest(std::string(kBase) + "prefers = ['sha_ni', 'aes', 'aes']\n")->prefers,
            (std::vector<std::string>{"aes", "sha_ni"}));
  EXPECT_EQ(
      ParseManifest(std::string(kBase) + "prefers = ['memory_bandwidth', 'large_l3']\n")->prefers,
      (std::vector<std::string>{"large_l3", "memory_bandwidth"}));
  for (const char* bad : {"prefers = 'aes'\n", "prefers = ['AES']\n", "prefers = [1]\n",
                          "prefers = ['../etc']\n", "prefers = ['']\n"}) {
    Status s = Parse(bad);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(s.message(), HasSubstr("prefers")) << bad;
  }
  std::string many = std::string(kBase) + "prefers = [";
  for (int i = 0; i < 17; ++i) many += "'f" + std::to_string(i) + "',";
  EXPECT_EQ(ParseManifest(many + "]\n").status().code(), StatusCode::kInvalidArgument);
}

TEST(ManifestKeysTest, NamesAndVersionsThatArePathStepsAreRefused) {
  for (const char* bad : {"..", ".", "-x", ".git"}) {
    EXPECT_EQ(ParseManifest(std::string("name = 'f'\nversion = '") + bad +
                            "'\nentrypoint = 'run.sh'\n")
                  .status()
                  .code(),
              StatusCode::kInvalidArgument)
        << bad;
    EXPECT_EQ(ParseManifest(std::string("name = '") + bad +
                            "'\nversion = '1'\nentrypoint = 'run.sh'\n")
                  .status()
                  .code(),
              StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(ManifestKeysTest, LimitsEnvironmentAndArgsAreBounded) {
  auto m = ParseManifest(std::string(kBase) +
                         "max_output_bytes = 16777216\nmax_memory_bytes = 1073741824\n");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->max_output_bytes, 16u << 20);
  EXPECT_EQ(m->max_memory_bytes, 1u << 30);
  EXPECT_EQ(ParseManifest(kBase)->max_output_bytes, kDefaultMaxOutputBytes);
  EXPECT_THAT(Parse("max_output_bytes = 40000000\n").message(), HasSubstr("max_output_bytes"));
  EXPECT_THAT(Parse("max_output_bytes = 0\n").message(), HasSubstr("max_output_bytes"));
  EXPECT_THAT(Parse("memory_hint_bytes = 2048\nmax_memory_bytes = 1024\n").message(),
              HasSubstr("larger than max_memory_bytes"));
  EXPECT_THAT(Parse("memory_hint_bytes = -1\n").message(), HasSubstr("memory_hint_bytes"));
  EXPECT_THAT(Parse("[env]\nTAILOR_FUNCTION = 'spoof'\n").message(), HasSubstr("reserved"));
  EXPECT_THAT(Parse("[env]\n'1X' = 'y'\n").message(), HasSubstr("env"));
  std::string many_args = "args = [";
  for (int i = 0; i < 300; ++i) many_args += "'a',";
  EXPECT_THAT(Parse(many_args + "]\n").message(), HasSubstr("args"));
  EXPECT_EQ(ParseManifest(std::string(70 << 10, '#')).status().code(),
            StatusCode::kInvalidArgument);
}

// Found by manifest_fuzz (fuzz/regressions/manifest_fuzz/): an integer key given a huge float
// went through toml++'s float-to-integer conversion, which has no range check (undefined
// behaviour); a float where an integer belongs is now refused.
TEST(ManifestKeysTest, AFloatWhereAnIntegerBelongsIsRefused) {
  EXPECT_THAT(Parse("timeout_ms = 3.3e68\n").message(), HasSubstr("'timeout_ms' must be an integer"));
  EXPECT_THAT(Parse("timeout_ms = 1000.0\n").message(), HasSubstr("'timeout_ms' must be an integer"));
  EXPECT_THAT(Parse("max_memory_bytes = inf\n").message(), HasSubstr("max_memory_bytes"));
}

class EntrypointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Write("b/bin/run.sh", "#!/bin/sh\necho hi\n");
    ::chmod(dir_.File("b").c_str(), 0755);
    ::chmod(dir_.File("b/bin").c_str(), 0755);
    ::chmod(dir_.File("b/bin/run.sh").c_str(), 0755);
    m_.name = "f";
    m_.version = "1";
    m_.entrypoint = "bin/run.sh";
  }
  tailor::testing::TempDir dir_;
  FunctionManifest m_;
};

TEST_F(EntrypointTest, ARunUserWhoDoesNotOwnTheBundleMustBeAbleToRunIt) {
  ASSERT_TRUE(ResolveEntrypoint(dir_.File("b"), m_).ok());
  ::chmod(dir_.File("b/bin/run.sh").c_str(), 0744);  // only the owner may execute
  Status owner_only = ResolveEntrypoint(dir_.File("b"), m_).status();
  EXPECT_EQ(owner_only.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(owner_only.message(), HasSubstr("not executable by the run user"));
  EXPECT_EQ(owner_only.field(), "entrypoint");
  ::chmod(dir_.File("b/bin/run.sh").c_str(), 0711);  // a script its interpreter cannot read
  EXPECT_THAT(ResolveEntrypoint(dir_.File("b"), m_).status().message(),
              HasSubstr("script the run user cannot read"));
  ::chmod(dir_.File("b/bin/run.sh").c_str(), 0755);
  ::chmod(dir_.File("b/bin").c_str(), 0700);  // a folder others cannot enter
  EXPECT_THAT(ResolveEntrypoint(dir_.File("b"), m_).status().message(),
              HasSubstr("cannot enter (/bin lacks o+x)"));
  ::chmod(dir_.File("b/bin").c_str(), 0755);
}

}  // namespace
}  // namespace tailor
