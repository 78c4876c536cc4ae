// FunctionRegistry: deployed function bundles and their versions.
//
// Deploy() validates an archive completely before anything is stored: it unpacks it safely
// (common/bundle_archive.h) into scratch space, parses tailor.toml and checks the entrypoint
// is an executable inside the bundle. The archive is then kept content-addressed as
// <data_dir>/bundles/<sha256>.tar.gz (written atomically) and its version recorded in SQLite.
// Deploying the same bytes again is a no-op; the same name and version with other contents is
// ALREADY_EXISTS (versions are immutable). Register() records a version with no bundle, for a
// platform that runs the function itself (placement only). Remove() marks every version removed: it
// can no longer be resolved for new invocations, while its runs and profile stay. Resolve() is
// served from memory once a name was looked up, so placing does not query SQLite.
//
// Thread-safety: all methods are safe to call concurrently.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "common/bundle_archive.h"
#include "common/clock.h"
#include "common/function_manifest.h"
#include "common/sqlite_db.h"
#include "tailor/v1/registry.pb.h"

namespace tailor::scheduler {

class FunctionRegistry {
 public:
  struct Options {
    uint64_t max_bundle_bytes = 64ull << 20;  // archive size
    BundleLimits unpack;                      // unpacked size and entries
  };
  // `db_path` must already be migrated. Bundles live under `data_dir`/bundles.
  static Result<std::unique_ptr<FunctionRegistry>> Open(const std::string& db_path,
                                                        const std::string& data_dir,
                                                        Options options, const Clock& clock);

  struct Deployed {
    v1::FunctionVersion function;
    bool unchanged = false;
  };
  // Deploys into `tenant`. `expected_sha256` may be empty. See the class comment for the
  // errors; a name another tenant uses is ALREADY_EXISTS (names are unique in the cluster).
  Result<Deployed> Deploy(std::string_view tenant, std::string_view archive,
                          std::string_view expected_sha256);
  // Registers a function for placement only (no bundle) into `tenant`; `function` must be
  // validated (ValidateRegisterFunctionRequest). The same version with the same fields again
  // is unchanged; with others, or over a deployed bundle, ALREADY_EXISTS.
  Result<Deployed> Register(std::string_view tenant, const v1::RegisterFunctionRequest& function);

  std::vector<v1::FunctionVersion> List(bool include_removed);
  // Newest (by deploy time) non-removed version when `version` is empty. NOT_FOUND for an
  // unknown function or version, FAILED_PRECONDITION for a removed one.
  Result<v1::FunctionVersion> Resolve(const std::string& name, const std::string& version);
  // The tenant a function belongs to (removed or not). NOT_FOUND for an unknown function.
  Result<std::string> TenantOf(const std::string& name);
  // NOT_FOUND for an unknown function. Returns how many versions were newly removed.
  Result<uint32_t> Remove(const std::string& name);
  // The archive bytes of a deployed bundle. NOT_FOUND for an unknown digest.
  Result<std::string> ReadBundle(const std::string& digest);
  // The key the function's completion callbacks are signed with (32 bytes), made on first use
  // (scheduler_secrets.h); removed functions keep theirs. NOT_FOUND for an unknown function.
  Result<std::string> CallbackSecret(const std::string& name);

  const Options& options() const { return options_; }

 private:
  FunctionRegistry(std::unique_ptr<SqliteDb> db, std::string bundles_dir, Options options,
                   const Clock& clock)
      : db_(std::move(db)), bundles_dir_(std::move(bundles_dir)), options_(options),
        clock_(clock) {}
  std::string BundlePath(const std::string& digest) const;
  struct CheckedBundle {
    std::string digest;
    FunctionManifest manifest;
  };
  // Hashes, unpacks and checks an archive in scratch space, then stores it under its digest.
  // Takes no lock.
  Result<CheckedBundle> CheckAndStore(std::string_view archive, std::string_view expected_sha256);
  // REQUIRES: mu_ held.
  Result<v1::FunctionVersion> ResolveLocked(const std::string& name, const std::string& version);
  // REQUIRES: mu_ held. ALREADY_EXISTS when another tenant deployed `name`.
  Status CheckNameFreeLocked(const std::string& name, std::string_view tenant);
  // REQUIRES: mu_ held. The stored version, if any (removed or not).
  Result<std::optional<v1::FunctionVersion>> FindLocked(const std::string& name,
                                                        const std::string& version);
  // REQUIRES: mu_ held. Stores `f` as a live version (replacing a removed one).
  Status InsertLocked(const v1::FunctionVersion& f);
  // REQUIRES: mu_ held. NOT_FOUND when no version of `name` was ever deployed.
  Status CheckDeployedLocked(const std::string& name);

  std::unique_ptr<SqliteDb> db_;
  const std::string bundles_dir_;
  const Options options_;
  const Clock& clock_;
  std::mutex mu_;  // the database; held across a deploy's or removal's SQLite writes
  // Resolve answers from memory after the first lookup: every placement resolves its function,
  // taking only cache_mu_ (shared), never mu_, so a deploy's writes do not hold placements up.
  // Keyed by "name\0version" ("name\0" for the newest); dropped for a name on Deploy/Remove
  // (while mu_ is held: lock order mu_, then cache_mu_).
  std::shared_mutex cache_mu_;
  std::map<std::string, Result<v1::FunctionVersion>> resolved_;
  // REQUIRES: mu_ held.
  void ForgetLocked(const std::string& name);
};

}  // namespace tailor::scheduler
