#include "agent/runtime/sandbox_plan.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

namespace tailor::agent::spawn {
namespace {

class Planner {
 public:
  explicit Planner(std::string root) : root_(std::move(root)) {}

  std::string In(const std::string& path) const { return root_ + path; }

  void Mount(std::string source, std::string target, std::string fstype, unsigned long flags,
             std::string data = "") {
    FsOp op;
    op.kind = FsOp::Kind::kMount;
    op.source = std::move(source);
    op.target = std::move(target);
    op.fstype = std::move(fstype);
    op.flags = flags;
    op.data = std::move(data);
    ops_.push_back(std::move(op));
  }
  // A bind mount, then its remount read-only (a bind ignores MS_RDONLY on the first call).
  void BindReadOnly(const std::string& source, const std::string& target) {
    Mount(source, target, "", MS_BIND | MS_REC);
    Mount("", target, "", MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV);
  }
  void Mkdir(const std::string& path, uint32_t mode = 0755) {
    FsOp op;
    op.kind = FsOp::Kind::kMkdir;
    op.target = path;
    op.mode = mode;
    ops_.push_back(std::move(op));
  }
  void Symlink(const std::string& target_text, const std::string& path) {
    FsOp op;
    op.kind = FsOp::Kind::kSymlink;
    op.source = target_text;
    op.target = path;
    ops_.push_back(std::move(op));
  }
  void CharDevice(const std::string& path, unsigned major_number, unsigned minor_number) {
    FsOp op;
    op.kind = FsOp::Kind::kMknod;
    op.target = path;
    op.mode = S_IFCHR | 0666;
    op.device = makedev(major_number, minor_number);
    ops_.push_back(std::move(op));
  }
  void PivotRoot() {
    FsOp op;
    op.kind = FsOp::Kind::kPivotRoot;
    op.target = root_;
    ops_.push_back(std::move(op));
  }
  std::vector<FsOp> Take() { return std::move(ops_); }

 private:
  std::string root_;
  std::vector<FsOp> ops_;
};

void PlanHostViews(const SandboxRequest& box, Planner& p) {
  p.Mount("tailor-root", p.In(""), "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0755");
  for (const char* dir : {"/proc", "/dev", "/tmp", "/function", "/etc"}) p.Mkdir(p.In(dir));
  for (const std::string& view : box.views) {
    const size_t arrow = view.find('>');
    if (arrow != std::string::npos) {
      p.Symlink(view.substr(arrow + 1), p.In(view.substr(0, arrow)));
      continue;
    }
    p.Mkdir(p.In(view));
    p.BindReadOnly(view, p.In(view));
  }
  if (!box.etc_dir.empty()) p.BindReadOnly(box.etc_dir, p.In("/etc"));
}

// /dev: a tmpfs with the harmless devices, links into /proc, and the mount point of /dev/shm.
void PlanDev(Planner& p) {
  p.Mount("tailor-dev", p.In("/dev"), "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=0755");
  p.CharDevice(p.In("/dev/null"), 1, 3);
  p.CharDevice(p.In("/dev/zero"), 1, 5);
  p.CharDevice(p.In("/dev/full"), 1, 7);
  p.CharDevice(p.In("/dev/random"), 1, 8);
  p.CharDevice(p.In("/dev/urandom"), 1, 9);
  p.Symlink("/proc/self/fd", p.In("/dev/fd"));
  p.Symlink("/proc/self/fd/0", p.In("/dev/stdin"));
  p.Symlink("/proc/self/fd/1", p.In("/dev/stdout"));
  p.Symlink("/proc/self/fd/2", p.In("/dev/stderr"));
  p.Mkdir(p.In("/dev/shm"), 01777);
}

// A run's own places: /tmp, /dev/shm, the bundle, /proc.
void PlanRunOwn(const SandboxRequest& box, Planner& p) {
  p.Mount("tailor-tmp", p.In("/tmp"), "tmpfs", MS_NOSUID | MS_NODEV,
          "size=" + std::to_string(box.tmp_bytes) + ",mode=1777");
  p.Mount("tailor-shm", p.In("/dev/shm"), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
          "size=" + std::to_string(box.tmp_bytes) + ",mode=1777");
  p.BindReadOnly(box.bundle_dir, p.In("/function"));
  p.Mount("proc", p.In("/proc"), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC);
}

}  // namespace

std::vector<FsOp> PlanSandboxTemplate(const SandboxRequest& box) {
  Planner p(box.root_dir);
  PlanHostViews(box, p);
  PlanDev(p);
  // Read-only from here on: every run's copy shares these file systems.
  p.Mount("", p.In("/dev"), "", MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NOEXEC);
  p.Mount("", p.In(""), "", MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV);
  return p.Take();
}

std::vector<FsOp> PlanSandboxRunOnTemplate(const SandboxRequest& box) {
  Planner p(box.root_dir);
  p.Mount("", "/", "", MS_REC | MS_PRIVATE);
  PlanRunOwn(box, p);
  p.PivotRoot();
  return p.Take();
}

std::string SandboxTemplateKey(const SandboxRequest& box) {
  std::string key = box.root_dir + '\n' + box.etc_dir;
  for (const std::string& view : box.views) key += '\n' + view;
  return key;
}

std::vector<FsOp> PlanSandboxFs(const SandboxRequest& box) {
  Planner p(box.root_dir);
  // Nothing mounted from here on may propagate back to the host.
  p.Mount("", "/", "", MS_REC | MS_PRIVATE);
  if (box.rootfs.empty()) {
    PlanHostViews(box, p);
  } else {
    p.Mount(box.rootfs, p.In(""), "", MS_BIND | MS_REC);
  }
  PlanDev(p);
  PlanRunOwn(box, p);
  // The root itself read-only last: the mount points above had to be made first.
  p.Mount("", p.In(""), "", MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV);
  p.PivotRoot();
  return p.Take();
}

}  // namespace tailor::agent::spawn
