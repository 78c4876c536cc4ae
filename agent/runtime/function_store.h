// FunctionStore: the function bundles this agent can run, as directories
// <root>/<name>/<version>/ each holding a tailor.toml.
//
// Names become paths here, so every name and version is checked against the grammar
// (common/names.h) where its directory is formed, and nothing outside <root> is ever created
// or removed (RemoveTreeInside), whatever a manifest or a request says.
//
// Bundles arrive by Install (a directory is copied in, a .tar.gz is unpacked safely) and by
// InstallArchive (archive bytes fetched from the scheduler's registry). Lookup with an empty version picks the newest installed version
// (the one installed last).
//
// Thread-safety: all methods are safe to call concurrently.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "common/function_manifest.h"
#include "common/status.h"

namespace tailor::agent {

struct InstalledFunction {
  FunctionManifest manifest;
  std::string bundle_dir;   // <root>/<name>/<version>
  std::string entrypoint;   // resolved absolute path
};

class FunctionStore {
 public:
  explicit FunctionStore(std::string root) : root_(std::move(root)) {}

  // Scans root for installed bundles; malformed ones are logged and skipped.
  Status Load();

  // Copies a bundle directory, or unpacks a bundle .tar.gz, into the store (replacing the
  // same name and version).
  Result<InstalledFunction> Install(const std::string& source);

  // Unpacks archive bytes (see common/bundle_archive.h) into the store.
  Result<InstalledFunction> InstallArchive(std::string_view archive_bytes);

  // NOT_FOUND naming the function (and version) when it is not installed.
  Result<InstalledFunction> Lookup(const std::string& name, const std::string& version);

  const std::string& root() const { return root_; }

 private:
  Result<InstalledFunction> InstallDirectory(const std::string& source_dir);
  Result<InstalledFunction> Read(const std::string& bundle_dir);
  // <root>/<name>/<version>, for names that pass the grammar only.
  Result<std::string> VersionDir(const std::string& name, const std::string& version) const;

  const std::string root_;
  std::mutex install_mu_;  // serializes installs; taken before mu_
  std::mutex mu_;
  // name -> version -> function; newest_[name] is the version installed last.
  std::map<std::string, std::map<std::string, InstalledFunction>> functions_;
  std::map<std::string, std::string> newest_;
};

}  // namespace tailor::agent
