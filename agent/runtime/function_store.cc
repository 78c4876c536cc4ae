#include "agent/runtime/function_store.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>

#include "common/bundle_archive.h"
#include "common/file_util.h"
#include "common/logging.h"
#include "common/names.h"

namespace tailor::agent {

namespace fs = std::filesystem;

Result<InstalledFunction> FunctionStore::Read(const std::string& bundle_dir) {
  TAILOR_ASSIGN_OR_RETURN(std::string text, ReadFile(JoinPath(bundle_dir, kManifestFileName)));
  TAILOR_ASSIGN_OR_RETURN(FunctionManifest manifest, ParseManifest(text));
  TAILOR_ASSIGN_OR_RETURN(std::string entry, ResolveEntrypoint(bundle_dir, manifest));
  return InstalledFunction{std::move(manifest), bundle_dir, std::move(entry)};
}

Result<std::string> FunctionStore::VersionDir(const std::string& name,
                                              const std::string& version) const {
  TAILOR_RETURN_IF_ERROR(CheckName(NameKind::kFunction, name, "function name"));
  TAILOR_RETURN_IF_ERROR(CheckName(NameKind::kVersion, version, "function version"));
  return JoinPath(JoinPath(root_, name), version);
}

Status FunctionStore::Load() {
  TAILOR_RETURN_IF_ERROR(MakeDirectories(root_));
  std::lock_guard lock(mu_);
  TAILOR_ASSIGN_OR_RETURN(auto names, ListDirectory(root_));
  for (const auto& name : names) {
    if (!IsValidName(NameKind::kFunction, name)) continue;  // unpack scratch space, strays
    auto versions = ListDirectory(JoinPath(root_, name));
    if (!versions.ok()) continue;
    // Newest by modification time of the version directory.
    fs::file_time_type newest_time{};
    for (const auto& version : *versions) {
      if (version.ends_with(".installing") || !IsValidName(NameKind::kVersion, version)) continue;
      const std::string dir = JoinPath(JoinPath(root_, name), version);
      auto fn = Read(dir);
      if (fn.ok() && (fn->manifest.name != name || fn->manifest.version != version)) {
        fn = InvalidArgumentError("its manifest names " + fn->manifest.name + " " +
                                  fn->manifest.version);
      }
      if (!fn.ok()) {
        log::Warn("skipping malformed function bundle", {{"dir", dir}, {"error", fn.status()}});
        continue;
      }
      std::error_code ec;
      auto t = fs::last_write_time(dir, ec);
      if (!newest_.contains(name) || t >= newest_time) {
        newest_[name] = version;
        newest_time = t;
      }
      functions_[name][version] = std::move(*fn);
    }
  }
  return OkStatus();
}

Result<InstalledFunction> FunctionStore::Install(const std::string& source) {
  if (IsBundleArchiveName(source)) {
    TAILOR_ASSIGN_OR_RETURN(std::string bytes, ReadFile(source));
    auto installed = InstallArchive(bytes);
    if (!installed.ok()) return installed.status().WithContext("bundle " + source);
    return installed;
  }
  return InstallDirectory(source);
}

Result<InstalledFunction> FunctionStore::InstallArchive(std::string_view archive_bytes) {
  TAILOR_RETURN_IF_ERROR(MakeDirectories(root_));
  static std::atomic<uint64_t> counter{0};
  const std::string scratch =
      JoinPath(root_, ".unpack-" + std::to_string(getpid()) + "-" + std::to_string(++counter));
  TAILOR_RETURN_IF_ERROR(RemoveTreeInside(root_, scratch));
  auto bundle_root = ExtractBundle(archive_bytes, scratch);
  Result<InstalledFunction> installed =
      bundle_root.ok() ? InstallDirectory(*bundle_root) : Result<InstalledFunction>(bundle_root.status());
  if (Status s = RemoveTreeInside(root_, scratch); !s.ok()) {
    log::Warn("cannot remove unpack scratch space", {{"error", s}});
  }
  return installed;
}

Result<InstalledFunction> FunctionStore::InstallDirectory(const std::string& source_dir) {
  std::lock_guard install_lock(install_mu_);  // one staging directory per name and version
  auto source = Read(source_dir);
  if (!source.ok()) return source.status().WithContext("bundle " + source_dir);
  const FunctionManifest& m = source->manifest;
  TAILOR_ASSIGN_OR_RETURN(const std::string dest, VersionDir(m.name, m.version));
  const std::string staging = dest + ".installing";
  TAILOR_RETURN_IF_ERROR(RemoveTreeInside(root_, staging));
  std::error_code ec;
  fs::create_directories(fs::path(staging).parent_path(), ec);
  fs::copy(source_dir, staging, fs::copy_options::recursive, ec);
  if (ec) return ErrnoToStatus(ec.value(), "copying bundle " + source_dir + " to " + staging);
  TAILOR_RETURN_IF_ERROR(RemoveTreeInside(root_, dest));
  fs::rename(staging, dest, ec);
  if (ec) return ErrnoToStatus(ec.value(), "installing bundle at " + dest);
  TAILOR_ASSIGN_OR_RETURN(InstalledFunction installed, Read(dest));
  std::lock_guard lock(mu_);
  functions_[m.name][m.version] = installed;
  newest_[m.name] = m.version;
  return installed;
}

Result<InstalledFunction> FunctionStore::Lookup(const std::string& name,
                                                const std::string& version) {
  std::lock_guard lock(mu_);
  auto it = functions_.find(name);
  if (it == functions_.end()) {
    return NotFoundError("function '" + name + "' is not installed on this agent");
  }
  const std::string& v = version.empty() ? newest_[name] : version;
  auto vit = it->second.find(v);
  if (vit == it->second.end()) {
    return NotFoundError("function '" + name + "' version '" + v +
                         "' is not installed on this agent");
  }
  return vit->second;
}

}  // namespace tailor::agent
