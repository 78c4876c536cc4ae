#include "scheduler/function_registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/file_util.h"
#include "tests/scheduler/scheduler_fixture.h"

namespace tailor::scheduler {
namespace {

using ::testing::HasSubstr;
using testing::MakeBundle;

class FunctionRegistryTest : public testing::SchedulerDbTest {
 protected:
  std::unique_ptr<FunctionRegistry> Open(FunctionRegistry::Options o = {}) {
    auto r = FunctionRegistry::Open(db_path_, dir_.File("data"), o, clock_);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? std::move(*r) : nullptr;
  }
};

TEST_F(FunctionRegistryTest, DeploysStoresContentAddressedAndResolvesNewest) {
  auto reg = Open();
  const std::string v1 = MakeBundle(
      dir_, "echo", "1",
      "memory_hint_bytes = 1048576\nlatency_target_ms = 250\nprefers = ['sha_ni', 'aes']\n");
  auto d1 = reg->Deploy("default", v1, Sha256Hex(v1));
  ASSERT_TRUE(d1.ok()) << d1.status();
  EXPECT_FALSE(d1->unchanged);
  EXPECT_EQ(d1->function.digest(), Sha256Hex(v1));
  EXPECT_EQ(d1->function.memory_hint_bytes(), 1048576u);
  EXPECT_EQ(reg->Resolve("echo", "1")->latency_target_ms(), 250u);
  const auto prefers = reg->Resolve("echo", "1")->prefers();
  EXPECT_EQ(std::vector<std::string>(prefers.begin(), prefers.end()),
            (std::vector<std::string>{"aes", "sha_ni"}));
  // Read back from the database by a registry opened afresh.
  auto reopened = Open();
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->Resolve("echo", "1")->prefers_size(), 2);
  EXPECT_EQ(*ReadFile(dir_.File("data/bundles/" + Sha256Hex(v1) + ".tar.gz")), v1);
  clock_.Advance(std::chrono::seconds(1));
  const std::string v2 = MakeBundle(dir_, "echo", "2");
  ASSERT_TRUE(reg->Deploy("default", v2, "").ok());
  EXPECT_EQ(reg->Resolve("echo", "")->version(), "2");
  EXPECT_EQ(reg->Resolve("echo", "1")->version(), "1");
  EXPECT_EQ(*reg->ReadBundle(Sha256Hex(v2)), v2);
  EXPECT_EQ(reg->List(false).size(), 2u);
  // The same bytes again: unchanged, not an error.
  auto again = reg->Deploy("default", v1, "");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->unchanged);
  // Resolution (served from memory) follows new deployments and removals at once.
  clock_.Advance(std::chrono::seconds(1));
  ASSERT_TRUE(reg->Deploy("default", MakeBundle(dir_, "echo", "3"), "").ok());
  EXPECT_EQ(reg->Resolve("echo", "")->version(), "3");
  ASSERT_TRUE(reg->Remove("echo").ok());
  EXPECT_EQ(reg->Resolve("echo", "").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(reg->Resolve("echo", "1").status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(FunctionRegistryTest, RefusesBadBundlesWithClearErrors) {
  FunctionRegistry::Options small;
  small.max_bundle_bytes = 64 << 10;
  auto reg = Open(small);
  const std::string good = MakeBundle(dir_, "echo", "1");
  struct Case {
    std::string what, archive, sha;
    StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"not an archive", "garbage", "", StatusCode::kInvalidArgument, "not a readable"},
      {"bad manifest", MakeBundle(dir_, "echo", "1", "timeout_ms = 'soon'\n"), "",
       StatusCode::kInvalidArgument, "timeout_ms"},
      {"entrypoint escapes",
       [&] {
         dir_.Write("esc/tailor.toml", "name='x'\nversion='1'\nentrypoint='../run.sh'\n");
         return *PackBundle(dir_.File("esc"));
       }(),
       "", StatusCode::kInvalidArgument, "entrypoint"},
      {"oversize", std::string(65 << 10, 'x'), "", StatusCode::kResourceExhausted, "limit"},
      {"digest mismatch", good, std::string(64, 'a'), StatusCode::kDataLoss, "mismatch"},
  };
  for (const auto& c : cases) {
    auto d = reg->Deploy("default", c.archive, c.sha);
    ASSERT_FALSE(d.ok()) << c.what;
    EXPECT_EQ(d.status().code(), c.code) << c.what << ": " << d.status();
    EXPECT_THAT(d.status().message(), HasSubstr(c.message)) << c.what;
  }
  EXPECT_TRUE(reg->List(true).empty()) << "nothing stored by a refused deploy";
  EXPECT_TRUE(ListDirectory(dir_.File("data/bundles"))->empty()) << "no scratch left behind";
}

TEST_F(FunctionRegistryTest, VersionsAreImmutable) {
  auto reg = Open();
  ASSERT_TRUE(reg->Deploy("default", MakeBundle(dir_, "echo", "1"), "").ok());
  auto changed =
      reg->Deploy("default", MakeBundle(dir_, "echo", "1", "", "#!/bin/sh\necho hi\n"), "");
  EXPECT_EQ(changed.status().code(), StatusCode::kAlreadyExists);
  EXPECT_THAT(changed.status().message(), HasSubstr("bump the version"));
}

TEST_F(FunctionRegistryTest, RemovalStopsResolutionButKeepsHistoryAndSurvivesRestart) {
  {
    auto reg = Open();
    ASSERT_TRUE(reg->Deploy("default", MakeBundle(dir_, "echo", "1"), "").ok());
    EXPECT_EQ(*reg->Remove("echo"), 1u);
    EXPECT_EQ(reg->Remove("nope").status().code(), StatusCode::kNotFound);
  }
  auto reg = Open();
  EXPECT_EQ(reg->Resolve("echo", "").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(reg->Resolve("other", "").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(reg->List(false).empty());
  ASSERT_EQ(reg->List(true).size(), 1u);
  EXPECT_TRUE(reg->List(true)[0].removed());
  EXPECT_EQ(reg->ReadBundle("xyz").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(reg->ReadBundle(std::string(64, 'b')).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace tailor::scheduler

namespace tailor::scheduler {
namespace {

v1::RegisterFunctionRequest PlacementOnly(const std::string& name, const std::string& version) {
  v1::RegisterFunctionRequest r;
  r.set_name(name);
  r.set_version(version);
  r.set_timeout_ms(2'000);
  r.set_memory_hint_bytes(256ull << 20);
  r.add_prefers("avx2");
  r.add_prefers("aes");
  r.add_required_features("sse4_2");
  return r;
}

TEST_F(FunctionRegistryTest, PlacementOnlyFunctionsNeedNoBundleAndSurviveARestart) {
  {
    auto reg = Open();
    auto r = reg->Register("tenant-a", PlacementOnly("knative-resize", "7"));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_FALSE(r->unchanged);
    EXPECT_TRUE(r->function.placement_only());
    EXPECT_TRUE(r->function.digest().empty());
    // The same registration again changes nothing.
    auto again = reg->Register("tenant-a", PlacementOnly("knative-resize", "7"));
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_TRUE(again->unchanged);
  }
  auto reg = Open();
  auto fn = reg->Resolve("knative-resize", "");
  ASSERT_TRUE(fn.ok()) << fn.status();
  EXPECT_TRUE(fn->placement_only());
  EXPECT_EQ(fn->timeout_ms(), 2'000u);
  EXPECT_EQ(fn->memory_hint_bytes(), 256ull << 20);
  EXPECT_EQ(fn->tenant(), "tenant-a");
  EXPECT_THAT(std::vector<std::string>(fn->prefers().begin(), fn->prefers().end()),
              ::testing::ElementsAre("aes", "avx2"));
  EXPECT_THAT(
      std::vector<std::string>(fn->required_features().begin(), fn->required_features().end()),
      ::testing::ElementsAre("sse4_2"));
  EXPECT_FALSE(reg->ReadBundle(std::string(64, 'a')).ok());
}

TEST_F(FunctionRegistryTest, ARegisteredVersionIsImmutableToo) {
  auto reg = Open();
  ASSERT_TRUE(reg->Register("default", PlacementOnly("fn", "1")).ok());
  auto other = PlacementOnly("fn", "1");
  other.set_timeout_ms(9'000);
  auto changed = reg->Register("default", other);
  EXPECT_EQ(changed.status().code(), StatusCode::kAlreadyExists);
  EXPECT_THAT(changed.status().message(), ::testing::HasSubstr("registered with other fields"));
  // A bundle may not take a registered version's place, nor a registration a bundle's.
  auto bundle = reg->Deploy("default", testing::MakeBundle(dir_, "fn", "1"), "");
  EXPECT_EQ(bundle.status().code(), StatusCode::kAlreadyExists);
  ASSERT_TRUE(reg->Deploy("default", testing::MakeBundle(dir_, "fn", "2"), "").ok());
  EXPECT_EQ(reg->Register("default", PlacementOnly("fn", "2")).status().code(),
            StatusCode::kAlreadyExists);
  // Another tenant's name is taken.
  EXPECT_EQ(reg->Register("tenant-b", PlacementOnly("fn", "3")).status().code(),
            StatusCode::kAlreadyExists);
  // A new version of the registration is fine, and resolves as the newest.
  clock_.Advance(std::chrono::seconds(1));
  other.set_version("3");
  ASSERT_TRUE(reg->Register("default", other).ok());
  EXPECT_EQ(reg->Resolve("fn", "")->version(), "3");
}

}  // namespace
}  // namespace tailor::scheduler
