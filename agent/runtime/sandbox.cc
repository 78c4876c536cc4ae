#include "agent/runtime/sandbox.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <utility>

#include "common/file_util.h"

namespace tailor::agent {
namespace {

namespace fs = std::filesystem;

struct Kind {
  const char* name;
  uint32_t namespace_bit;  // 0 for seccomp
};
constexpr std::array<Kind, 6> kKinds = {{{"pid", spawn::kNsPid},
                                         {"mount", spawn::kNsMount},
                                         {"ipc", spawn::kNsIpc},
                                         {"uts", spawn::kNsUts},
                                         {"network", spawn::kNsNet},
                                         {"seccomp", 0}}};

// Host directories a run sees with host views, when the host has them.
constexpr std::array<const char*, 7> kHostViews = {"/usr",   "/bin",   "/sbin",  "/lib",
                                                   "/lib32", "/lib64", "/libx32"};

// What a run's /etc holds besides passwd and group: name resolution, the dynamic linker's
// cache, certificates, time zone, Debian's alternatives (symlinks /usr/bin needs).
constexpr std::array<const char*, 14> kEtcCopies = {
    "resolv.conf",  "nsswitch.conf", "host.conf", "gai.conf",  "ld.so.cache",
    "ld.so.conf",   "ld.so.conf.d",  "localtime", "ssl",       "ca-certificates",
    "alternatives", "protocols",     "services",  "mime.types"};

constexpr char kPasswd[] =
    "root:x:0:0:root:/root:/usr/sbin/nologin\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
constexpr char kGroup[] = "root:x:0:\nnogroup:x:65534:\n";
constexpr char kHosts[] = "127.0.0.1 localhost tailor\n::1 localhost ip6-localhost\n";

Status BuildEtc(const std::string& etc) {
  std::error_code ec;
  fs::remove_all(etc, ec);
  if (ec) return ErrnoToStatus(ec.value(), "removing the old " + etc);
  TAILOR_RETURN_IF_ERROR(MakeDirectories(etc));
  for (const char* name : kEtcCopies) {
    const fs::path from = fs::path("/etc") / name;
    if (!fs::exists(fs::symlink_status(from))) continue;
    fs::copy(from, fs::path(etc) / name,
             fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
    if (ec) return ErrnoToStatus(ec.value(), "copying " + from.string() + " into " + etc);
  }
  TAILOR_RETURN_IF_ERROR(WriteFile(JoinPath(etc, "passwd"), kPasswd));
  TAILOR_RETURN_IF_ERROR(WriteFile(JoinPath(etc, "group"), kGroup));
  TAILOR_RETURN_IF_ERROR(WriteFile(JoinPath(etc, "hosts"), kHosts));
  TAILOR_RETURN_IF_ERROR(WriteFile(JoinPath(etc, "hostname"), "tailor\n"));
  ::chmod(etc.c_str(), 0755);
  return OkStatus();
}

// "/usr", or "/bin>usr/bin" for a host whose /bin is a symlink.
std::vector<std::string> ReadHostViews() {
  std::vector<std::string> views;
  for (const char* dir : kHostViews) {
    struct stat st;
    if (::lstat(dir, &st) != 0) continue;
    if (S_ISLNK(st.st_mode)) {
      char target[256];
      const ssize_t n = ::readlink(dir, target, sizeof(target) - 1);
      if (n > 0)
        views.push_back(std::string(dir) + ">" + std::string(target, static_cast<size_t>(n)));
    } else if (S_ISDIR(st.st_mode)) {
      views.emplace_back(dir);
    }
  }
  return views;
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

Result<std::vector<std::string>> ParseIsolationKinds(const std::string& comma_list) {
  std::vector<std::string> kinds;
  for (std::string_view raw : SplitString(comma_list, ',')) {
    const std::string kind(TrimWhitespace(raw));
    if (kind.empty()) continue;
    if (kind == "all") {
      for (const Kind& k : kKinds) kinds.emplace_back(k.name);
      continue;
    }
    const bool known =
        std::any_of(kKinds.begin(), kKinds.end(), [&](const Kind& k) { return kind == k.name; });
    if (!known) {
      return InvalidArgumentError("unknown isolation kind '" + kind +
                                  "' (pid, mount, ipc, uts, network, seccomp or all)");
    }
    kinds.push_back(kind);
  }
  return kinds;
}

void DisableIsolation(const std::vector<std::string>& kinds, SandboxOptions& options) {
  for (const std::string& kind : kinds) {
    for (const Kind& k : kKinds) {
      if (kind != k.name) continue;
      if (k.namespace_bit == 0) options.seccomp = false;
      options.namespaces &= ~k.namespace_bit;
    }
  }
}

IsolationLevel IsolationOf(const SandboxOptions& options) {
  IsolationLevel level;
  for (const Kind& k : kKinds) {
    const bool on = k.namespace_bit == 0 ? options.seccomp : (options.namespaces & k.namespace_bit);
    if (!on) level.missing.emplace_back(k.name);
  }
  level.level = level.missing.empty()                   ? "full"
                : level.missing.size() == kKinds.size() ? "none"
                                                        : "partial";
  return level;
}

std::string IsolationLevel::ToString() const {
  if (level != "partial") return level;
  std::string out = "partial (no ";
  for (size_t i = 0; i < missing.size(); ++i) out += (i ? ", " : "") + missing[i];
  return out + ")";
}

Result<std::unique_ptr<Sandbox>> Sandbox::Prepare(SandboxOptions options) {
  std::unique_ptr<Sandbox> sandbox(new Sandbox(std::move(options)));
  if (!sandbox->mounts()) return sandbox;
  const std::string& dir = sandbox->options_.state_dir;
  if (dir.empty()) return InvalidArgumentError("the sandbox needs a state directory");
  TAILOR_RETURN_IF_ERROR(MakeDirectories(dir));
  TAILOR_RETURN_IF_ERROR(MakeDirectories(JoinPath(dir, "root")));
  TAILOR_RETURN_IF_ERROR(MakeDirectories(JoinPath(dir, "probe")));
  TAILOR_RETURN_IF_ERROR_CTX(BuildEtc(JoinPath(dir, "etc")), "preparing the runs' /etc");
  // Every directory above the root must let the runs' users through only while it is being
  // mounted, which happens as root; nothing of the agent's data is visible afterwards.
  sandbox->views_ = ReadHostViews();
  return sandbox;
}

Result<spawn::SandboxRequest> Sandbox::For(const InstalledFunction& fn,
                                           uint64_t memory_limit_bytes) const {
  spawn::SandboxRequest box;
  box.namespaces = options_.namespaces;
  if (fn.manifest.network == FunctionNetwork::kOutbound) {
    if (!options_.allow_network) {
      return FailedPreconditionError(
          "function '" + fn.manifest.name +
          "' asks for network = \"outbound\", which this node does not allow (agent flag "
          "--sandbox-allow-network)");
    }
    box.namespaces &= ~spawn::kNsNet;
  }
  box.seccomp = options_.seccomp;
  box.open_files = options_.open_files;
  box.hostname = "tailor";
  if (!mounts()) return box;
  box.root_dir = JoinPath(options_.state_dir, "root");
  box.bundle_dir = fn.bundle_dir;
  box.tmp_bytes = options_.tmp_max_bytes;
  if (memory_limit_bytes > 0) box.tmp_bytes = std::min(box.tmp_bytes, memory_limit_bytes);
  const std::string rootfs = JoinPath(fn.bundle_dir, kRootfsDirName);
  if (IsDirectory(rootfs)) {
    // The run's mount points; the bundle belongs to the agent, so it may add them. A mount
    // point that is a symlink would be followed on the host side of the mount: refused.
    for (const char* d : {"proc", "dev", "tmp", "function"}) {
      const std::string point = JoinPath(rootfs, d);
      struct stat st;
      if (::lstat(point.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) {
        return FailedPreconditionError("function '" + fn.manifest.name + "': its rootfs/" + d +
                                       " is not a directory (the run's " + d + " goes there)");
      }
      TAILOR_RETURN_IF_ERROR(MakeDirectories(point));
    }
    box.rootfs = rootfs;
  } else {
    box.etc_dir = JoinPath(options_.state_dir, "etc");
    box.views = views_;
  }
  return box;
}

spawn::SandboxRequest Sandbox::Probe() const {
  InstalledFunction probe;
  probe.manifest.name = "sandbox-probe";
  probe.bundle_dir = JoinPath(options_.state_dir, "probe");
  auto box = For(probe, 0);
  return box.ok() ? *box : spawn::SandboxRequest{};  // For refuses network functions only
}

std::string Sandbox::EntrypointInside(const InstalledFunction& fn) const {
  if (!mounts()) return fn.entrypoint;
  const std::string relative = fs::path(fn.entrypoint).lexically_relative(fn.bundle_dir).string();
  return JoinPath(kSandboxBundleDir, relative);
}

std::string Sandbox::WorkingDirInside(const InstalledFunction& fn) const {
  return mounts() ? kSandboxBundleDir : fn.bundle_dir;
}

}  // namespace tailor::agent
