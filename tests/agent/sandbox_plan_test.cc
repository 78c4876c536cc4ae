// The sandbox's file system as planned (pure); tests/agent/sandbox_test.cc runs it for real.
#include "agent/runtime/sandbox_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <algorithm>

#include "agent/runtime/sandbox.h"
#include "agent/runtime/seccomp_filter.h"

namespace tailor::agent::spawn {
namespace {

using ::testing::ElementsAre;

SandboxRequest HostViews() {
  SandboxRequest box;
  box.namespaces = kAllNamespaces;
  box.root_dir = "/data/sandbox/root";
  box.bundle_dir = "/data/functions/echo/1";
  box.etc_dir = "/data/sandbox/etc";
  box.views = {"/usr", "/bin>usr/bin"};
  box.tmp_bytes = 1 << 20;
  return box;
}

const FsOp* Find(const std::vector<FsOp>& ops, const std::string& target, FsOp::Kind kind) {
  auto it = std::find_if(ops.begin(), ops.end(),
                         [&](const FsOp& op) { return op.target == target && op.kind == kind; });
  return it == ops.end() ? nullptr : &*it;
}

TEST(SandboxPlanTest, NothingPropagatesToTheHostAndTheRootIsPivotedIntoLast) {
  const std::vector<FsOp> ops = PlanSandboxFs(HostViews());
  ASSERT_GE(ops.size(), 3u);
  EXPECT_EQ(ops.front().target, "/");
  EXPECT_EQ(ops.front().flags, static_cast<unsigned long>(MS_REC | MS_PRIVATE));
  EXPECT_EQ(ops.back().kind, FsOp::Kind::kPivotRoot);
  EXPECT_EQ(ops.back().target, "/data/sandbox/root");
  // Every path acted on before the pivot is under the new root, but the first.
  for (size_t i = 1; i + 1 < ops.size(); ++i) {
    EXPECT_EQ(ops[i].target.rfind("/data/sandbox/root", 0), 0u) << i << " " << ops[i].target;
  }
}

TEST(SandboxPlanTest, HostViewsAreReadOnlyAndTheRunsOwnPlacesAreSizedTmpfs) {
  const std::vector<FsOp> ops = PlanSandboxFs(HostViews());
  // /usr: bound, then remounted read-only, nosuid, nodev.
  const auto usr = std::find_if(ops.begin(), ops.end(), [](const FsOp& op) {
    return op.source == "/usr" && op.kind == FsOp::Kind::kMount;
  });
  ASSERT_NE(usr, ops.end());
  EXPECT_EQ(usr->flags & MS_BIND, static_cast<unsigned long>(MS_BIND));
  ASSERT_NE(usr + 1, ops.end());
  EXPECT_EQ((usr + 1)->target, usr->target);
  EXPECT_EQ((usr + 1)->flags & (MS_RDONLY | MS_NOSUID),
            static_cast<unsigned long>(MS_RDONLY | MS_NOSUID));
  // A host symlink is a symlink.
  const FsOp* bin = Find(ops, "/data/sandbox/root/bin", FsOp::Kind::kSymlink);
  ASSERT_NE(bin, nullptr);
  EXPECT_EQ(bin->source, "usr/bin");
  // /tmp and /dev/shm: tmpfs of tmp_bytes.
  for (const char* dir : {"/data/sandbox/root/tmp", "/data/sandbox/root/dev/shm"}) {
    const FsOp* tmp = Find(ops, dir, FsOp::Kind::kMount);
    ASSERT_NE(tmp, nullptr) << dir;
    EXPECT_EQ(tmp->fstype, "tmpfs");
    EXPECT_EQ(tmp->data, "size=1048576,mode=1777");
  }
  // The bundle and /etc are read-only views; /proc is the run's own.
  EXPECT_NE(Find(ops, "/data/sandbox/root/function", FsOp::Kind::kMount), nullptr);
  EXPECT_NE(Find(ops, "/data/sandbox/root/etc", FsOp::Kind::kMount), nullptr);
  const FsOp* proc = Find(ops, "/data/sandbox/root/proc", FsOp::Kind::kMount);
  ASSERT_NE(proc, nullptr);
  EXPECT_EQ(proc->fstype, "proc");
  // Only the harmless devices.
  std::vector<std::string> devices;
  for (const FsOp& op : ops) {
    if (op.kind == FsOp::Kind::kMknod)
      devices.push_back(op.target.substr(op.target.rfind('/') + 1));
  }
  EXPECT_THAT(devices, ElementsAre("null", "zero", "full", "random", "urandom"));
}

TEST(SandboxPlanTest, ARootfsReplacesTheHostViews) {
  SandboxRequest box = HostViews();
  box.rootfs = "/data/functions/py/1/rootfs";
  const std::vector<FsOp> ops = PlanSandboxFs(box);
  EXPECT_EQ(ops[1].source, box.rootfs);
  EXPECT_EQ(ops[1].target, box.root_dir);
  for (const FsOp& op : ops) {
    EXPECT_NE(op.source, "/usr");
    EXPECT_NE(op.target, "/data/sandbox/root/etc");
  }
}

TEST(IsolationTest, KindsParseAndLevelsSayWhatIsMissing) {
  EXPECT_EQ(ParseIsolationKinds("network, seccomp").value(),
            (std::vector<std::string>{"network", "seccomp"}));
  EXPECT_EQ(ParseIsolationKinds("all").value().size(), 6u);
  EXPECT_TRUE(ParseIsolationKinds("").value().empty());
  auto bad = ParseIsolationKinds("pid,cgroups");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("cgroups"), std::string::npos);

  SandboxOptions options;
  EXPECT_EQ(IsolationOf(options).ToString(), "full");
  DisableIsolation({"network", "seccomp"}, options);
  EXPECT_EQ(options.namespaces & kNsNet, 0u);
  EXPECT_FALSE(options.seccomp);
  EXPECT_EQ(IsolationOf(options).ToString(), "partial (no network, seccomp)");
  DisableIsolation(ParseIsolationKinds("all").value(), options);
  EXPECT_EQ(IsolationOf(options).ToString(), "none");
}

TEST(SeccompFilterTest, TheFilterBuildsAndTheDocumentedListIsWhatItDenies) {
  auto filter = BuildSeccompFilter();
  ASSERT_TRUE(filter.ok()) << filter.status();
  EXPECT_GT(filter->size(), DeniedSyscalls().size() / 2);  // one or two instructions a call
  for (const char* must : {"mount", "ptrace", "bpf", "unshare", "setns", "kexec_load",
                           "init_module", "keyctl", "perf_event_open"}) {
    EXPECT_NE(std::find(DeniedSyscalls().begin(), DeniedSyscalls().end(), must),
              DeniedSyscalls().end())
        << must;
  }
}

}  // namespace
}  // namespace tailor::agent::spawn
