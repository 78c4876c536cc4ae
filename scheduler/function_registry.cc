#include "scheduler/function_registry.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>

#include "common/file_util.h"
#include "common/function_manifest.h"
#include "common/logging.h"
#include "scheduler/scheduler_secrets.h"

namespace tailor::scheduler {
namespace {

namespace fs = std::filesystem;

constexpr char kColumns[] =
    "name, version, digest, size_bytes, entrypoint, timeout_ms, memory_hint_bytes, idempotent, "
    "deployed_unix_ms, removed_unix_ms, latency_target_ms, max_memory_bytes, max_output_bytes, "
    "tenant, prefers, requires";

v1::FunctionVersion FromRow(const SqliteStatement& row) {
  v1::FunctionVersion f;
  f.set_name(row.ColumnText(0));
  f.set_version(row.ColumnText(1));
  f.set_digest(row.ColumnText(2));
  f.set_size_bytes(static_cast<uint64_t>(row.ColumnInt64(3)));
  f.set_entrypoint(row.ColumnText(4));
  f.set_timeout_ms(static_cast<uint32_t>(row.ColumnInt64(5)));
  f.set_memory_hint_bytes(static_cast<uint64_t>(row.ColumnInt64(6)));
  f.set_idempotent(row.ColumnInt64(7) != 0);
  f.set_deployed_unix_ms(row.ColumnInt64(8));
  f.set_removed(!row.ColumnIsNull(9));
  f.set_latency_target_ms(static_cast<uint32_t>(row.ColumnInt64(10)));
  f.set_max_memory_bytes(static_cast<uint64_t>(row.ColumnInt64(11)));
  f.set_max_output_bytes(static_cast<uint64_t>(row.ColumnInt64(12)));
  f.set_tenant(row.ColumnText(13));
  const std::string prefers = row.ColumnText(14);  // outlives the views SplitString returns
  for (auto feature : SplitString(prefers, ',')) {
    if (!feature.empty()) f.add_prefers(std::string(feature));
  }
  const std::string requires_text = row.ColumnText(15);
  for (auto feature : SplitString(requires_text, ',')) {
    if (!feature.empty()) f.add_required_features(std::string(feature));
  }
  f.set_placement_only(f.digest().empty());
  return f;
}

std::string CommaJoined(const google::protobuf::RepeatedPtrField<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

// Sorted and unique, as a manifest's prefers are.
void SortedUnique(google::protobuf::RepeatedPtrField<std::string>& items) {
  std::sort(items.begin(), items.end());
  items.erase(std::unique(items.begin(), items.end()), items.end());
}

// Whether a stored placement-only version was registered with these same fields.
bool SameRegistration(const v1::FunctionVersion& a, const v1::FunctionVersion& b) {
  return a.placement_only() && a.timeout_ms() == b.timeout_ms() &&
         a.memory_hint_bytes() == b.memory_hint_bytes() &&
         a.max_memory_bytes() == b.max_memory_bytes() &&
         a.latency_target_ms() == b.latency_target_ms() &&
         CommaJoined(a.prefers()) == CommaJoined(b.prefers()) &&
         CommaJoined(a.required_features()) == CommaJoined(b.required_features());
}

}  // namespace

Result<std::unique_ptr<FunctionRegistry>> FunctionRegistry::Open(const std::string& db_path,
                                                                  const std::string& data_dir,
                                                                  Options options,
                                                                  const Clock& clock) {
  TAILOR_ASSIGN_OR_RETURN(auto db, SqliteDb::Open(db_path));
  const std::string bundles = JoinPath(data_dir, "bundles");
  TAILOR_RETURN_IF_ERROR(MakeDirectories(bundles));
  return std::unique_ptr<FunctionRegistry>(
      new FunctionRegistry(std::move(db), bundles, options, clock));
}

std::string FunctionRegistry::BundlePath(const std::string& digest) const {
  return JoinPath(bundles_dir_, digest + ".tar.gz");
}

Result<FunctionRegistry::CheckedBundle> FunctionRegistry::CheckAndStore(
    std::string_view archive, std::string_view expected_sha256) {
  CheckedBundle checked;
  checked.digest = Sha256Hex(archive);
  const std::string& digest = checked.digest;
  if (!expected_sha256.empty() && expected_sha256 != digest) {
    return DataLossError("bundle digest mismatch: client said " + std::string(expected_sha256) +
                         ", received bytes hash to " + digest);
  }
  // Validate in scratch space: unpack, parse the manifest, check the entrypoint.
  static std::atomic<uint64_t> counter{0};
  const std::string scratch = JoinPath(bundles_dir_, ".check-" + std::to_string(getpid()) + "-" +
                                                         std::to_string(++counter));
  struct ScratchGuard {
    std::string dir;
    ~ScratchGuard() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } guard{scratch};
  auto root = ExtractBundle(archive, scratch, options_.unpack);
  if (!root.ok()) return root.status();
  auto text = ReadFile(JoinPath(*root, kManifestFileName));
  if (!text.ok()) return InvalidArgumentError("bundle has no readable tailor.toml");
  TAILOR_ASSIGN_OR_RETURN(checked.manifest, ParseManifest(*text));
  auto entry = ResolveEntrypoint(*root, checked.manifest);
  if (!entry.ok()) {
    return InvalidArgumentError(std::string(entry.status().message())).WithField("entrypoint");
  }
  // The archive is written before the registry's lock is taken, so a deploy's disk write never
  // holds up a placement's Resolve. Content-addressed: writing the same bytes twice is harmless.
  if (!PathExists(BundlePath(digest))) {
    TAILOR_RETURN_IF_ERROR(WriteFileAtomically(BundlePath(digest), archive));
  }
  return checked;
}

Result<FunctionRegistry::Deployed> FunctionRegistry::Deploy(std::string_view tenant,
                                                            std::string_view archive,
                                                            std::string_view expected_sha256) {
  if (archive.size() > options_.max_bundle_bytes) {
    return ResourceExhaustedError("bundle is " + std::to_string(archive.size()) +
                                  " bytes; the limit is " +
                                  std::to_string(options_.max_bundle_bytes));
  }
  TAILOR_ASSIGN_OR_RETURN(CheckedBundle checked, CheckAndStore(archive, expected_sha256));
  const std::string& digest = checked.digest;
  const FunctionManifest& manifest = checked.manifest;
  std::lock_guard lock(mu_);
  TAILOR_RETURN_IF_ERROR(CheckNameFreeLocked(manifest.name, tenant));
  TAILOR_ASSIGN_OR_RETURN(auto existing, FindLocked(manifest.name, manifest.version));
  if (existing) {
    if (existing->digest() != digest) {
      return AlreadyExistsError("function '" + manifest.name + "' version '" + manifest.version +
                                "' is already " +
                                (existing->placement_only() ? "registered for placement only"
                                                            : "deployed with different contents") +
                                "; versions are immutable, bump the version in tailor.toml");
    }
    if (!existing->removed()) return Deployed{*existing, true};
  }
  v1::FunctionVersion f;
  f.set_name(manifest.name);
  f.set_version(manifest.version);
  f.set_digest(digest);
  f.set_size_bytes(archive.size());
  f.set_entrypoint(manifest.entrypoint);
  f.set_timeout_ms(manifest.timeout_ms);
  f.set_memory_hint_bytes(manifest.memory_hint_bytes);
  f.set_idempotent(manifest.idempotent);
  f.set_latency_target_ms(manifest.latency_target_ms);
  f.set_max_memory_bytes(manifest.max_memory_bytes);
  f.set_max_output_bytes(manifest.max_output_bytes);
  f.set_tenant(std::string(tenant));
  for (const auto& feature : manifest.prefers) f.add_prefers(feature);
  f.set_deployed_unix_ms(ToUnixMillis(clock_.WallNow()));
  TAILOR_RETURN_IF_ERROR(InsertLocked(f));
  log::Info("function deployed", {{"function", f.name()},
                                  {"version", f.version()},
                                  {"tenant", f.tenant()},
                                  {"digest", digest}});
  return Deployed{f, false};
}

Result<FunctionRegistry::Deployed> FunctionRegistry::Register(
    std::string_view tenant, const v1::RegisterFunctionRequest& r) {
  v1::FunctionVersion f;
  f.set_name(r.name());
  f.set_version(r.version());
  f.set_timeout_ms(r.timeout_ms());
  f.set_memory_hint_bytes(r.memory_hint_bytes());
  f.set_max_memory_bytes(r.max_memory_bytes());
  f.set_latency_target_ms(r.latency_target_ms());
  f.set_tenant(std::string(tenant));
  f.set_placement_only(true);
  *f.mutable_prefers() = r.prefers();
  *f.mutable_required_features() = r.required_features();
  SortedUnique(*f.mutable_prefers());
  SortedUnique(*f.mutable_required_features());

  std::lock_guard lock(mu_);
  TAILOR_RETURN_IF_ERROR(CheckNameFreeLocked(f.name(), tenant));
  TAILOR_ASSIGN_OR_RETURN(auto existing, FindLocked(f.name(), f.version()));
  if (existing && !existing->removed()) {
    if (SameRegistration(*existing, f)) return Deployed{*existing, true};
    return AlreadyExistsError(
        "function '" + f.name() + "' version '" + f.version() + "' is already " +
        (existing->placement_only() ? "registered with other fields" : "deployed with a bundle") +
        "; versions are immutable, register a new version");
  }
  f.set_deployed_unix_ms(ToUnixMillis(clock_.WallNow()));
  TAILOR_RETURN_IF_ERROR(InsertLocked(f));
  log::Info("function registered for placement only",
            {{"function", f.name()}, {"version", f.version()}, {"tenant", f.tenant()}});
  return Deployed{f, false};
}

Result<std::optional<v1::FunctionVersion>> FunctionRegistry::FindLocked(
    const std::string& name, const std::string& version) {
  TAILOR_ASSIGN_OR_RETURN(auto q, db_->Prepare(std::string("SELECT ") + kColumns +
                                               " FROM functions WHERE name = ?1 AND version = ?2"));
  q.Bind(1, name).Bind(2, version);
  TAILOR_ASSIGN_OR_RETURN(bool found, q.Step());
  if (!found) return std::optional<v1::FunctionVersion>();
  return std::optional<v1::FunctionVersion>(FromRow(q));
}

Status FunctionRegistry::InsertLocked(const v1::FunctionVersion& f) {
  ForgetLocked(f.name());
  TAILOR_ASSIGN_OR_RETURN(
      auto ins, db_->Prepare(std::string("INSERT OR REPLACE INTO functions (") + kColumns +
                             ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, NULL, ?10, ?11, ?12, "
                             "?13, ?14, ?15)"));
  ins.Bind(1, f.name()).Bind(2, f.version()).Bind(3, f.digest());
  ins.Bind(4, static_cast<int64_t>(f.size_bytes())).Bind(5, f.entrypoint());
  ins.Bind(6, static_cast<int64_t>(f.timeout_ms()));
  ins.Bind(7, static_cast<int64_t>(f.memory_hint_bytes()));
  ins.Bind(8, static_cast<int64_t>(f.idempotent() ? 1 : 0)).Bind(9, f.deployed_unix_ms());
  ins.Bind(10, static_cast<int64_t>(f.latency_target_ms()));
  ins.Bind(11, static_cast<int64_t>(f.max_memory_bytes()));
  ins.Bind(12, static_cast<int64_t>(f.max_output_bytes())).Bind(13, f.tenant());
  ins.Bind(14, CommaJoined(f.prefers())).Bind(15, CommaJoined(f.required_features()));
  return ins.Run();
}

std::vector<v1::FunctionVersion> FunctionRegistry::List(bool include_removed) {
  std::vector<v1::FunctionVersion> out;
  std::lock_guard lock(mu_);
  auto q = db_->Prepare(std::string("SELECT ") + kColumns + " FROM functions" +
                        (include_removed ? "" : " WHERE removed_unix_ms IS NULL") +
                        " ORDER BY name, deployed_unix_ms DESC, version DESC");
  if (!q.ok()) return out;
  while (q->Step().value_or(false)) out.push_back(FromRow(*q));
  return out;
}

void FunctionRegistry::ForgetLocked(const std::string& name) {
  std::unique_lock cache(cache_mu_);
  const std::string prefix = name + std::string(1, '\0');
  for (auto it = resolved_.lower_bound(prefix);
       it != resolved_.end() && it->first.compare(0, prefix.size(), prefix) == 0;) {
    it = resolved_.erase(it);
  }
}

Result<v1::FunctionVersion> FunctionRegistry::Resolve(const std::string& name,
                                                      const std::string& version) {
  std::string key = name;
  key += '\0';
  key += version;
  {
    std::shared_lock cached(cache_mu_);
    if (auto it = resolved_.find(key); it != resolved_.end()) return it->second;
  }
  std::lock_guard lock(mu_);
  auto result = ResolveLocked(name, version);
  // Only definite answers are kept: a database error is retried next time.
  if (result.ok() || result.status().code() == StatusCode::kNotFound ||
      result.status().code() == StatusCode::kFailedPrecondition) {
    std::unique_lock cache(cache_mu_);
    resolved_.emplace(std::move(key), result);
  }
  return result;
}

Result<v1::FunctionVersion> FunctionRegistry::ResolveLocked(const std::string& name,
                                                            const std::string& version) {
  TAILOR_ASSIGN_OR_RETURN(
      auto q, db_->Prepare(std::string("SELECT ") + kColumns +
                           " FROM functions WHERE name = ?1 AND (?2 = '' OR version = ?2)"
                           " ORDER BY removed_unix_ms IS NOT NULL, deployed_unix_ms DESC,"
                           " version DESC LIMIT 1"));
  q.Bind(1, name).Bind(2, version);
  TAILOR_ASSIGN_OR_RETURN(bool found, q.Step());
  if (!found) {
    return NotFoundError(version.empty()
                             ? "function '" + name + "' is not deployed"
                             : "function '" + name + "' has no version '" + version + "'");
  }
  v1::FunctionVersion f = FromRow(q);
  if (f.removed()) {
    return FailedPreconditionError("function '" + name + "' was removed")
        .WithReason(ErrorReason::kFunctionRemoved);
  }
  return f;
}

Status FunctionRegistry::CheckNameFreeLocked(const std::string& name, std::string_view tenant) {
  TAILOR_ASSIGN_OR_RETURN(
      auto q,
      db_->Prepare("SELECT tenant FROM functions WHERE name = ?1 AND tenant != ?2 LIMIT 1"));
  q.Bind(1, name).Bind(2, tenant);
  TAILOR_ASSIGN_OR_RETURN(bool taken, q.Step());
  if (taken) {
    return AlreadyExistsError("the function name '" + name +
                              "' is taken; function names are unique across the cluster");
  }
  return OkStatus();
}

Result<std::string> FunctionRegistry::TenantOf(const std::string& name) {
  std::lock_guard lock(mu_);
  TAILOR_ASSIGN_OR_RETURN(auto q,
                          db_->Prepare("SELECT tenant FROM functions WHERE name = ?1 LIMIT 1"));
  q.Bind(1, name);
  TAILOR_ASSIGN_OR_RETURN(bool found, q.Step());
  if (!found) return NotFoundError("no function named '" + name + "'");
  return q.ColumnText(0);
}

Status FunctionRegistry::CheckDeployedLocked(const std::string& name) {
  TAILOR_ASSIGN_OR_RETURN(auto exists,
                          db_->Prepare("SELECT COUNT(*) FROM functions WHERE name = ?1"));
  exists.Bind(1, name);
  TAILOR_ASSIGN_OR_RETURN(bool row, exists.Step());
  if (!row || exists.ColumnInt64(0) == 0) {
    return NotFoundError("function '" + name + "' is not deployed");
  }
  return OkStatus();
}

Result<std::string> FunctionRegistry::CallbackSecret(const std::string& name) {
  std::lock_guard lock(mu_);
  TAILOR_RETURN_IF_ERROR(CheckDeployedLocked(name));
  return LoadOrCreateSecret(*db_, "callback_key:" + name);
}

Result<uint32_t> FunctionRegistry::Remove(const std::string& name) {
  std::lock_guard lock(mu_);
  TAILOR_RETURN_IF_ERROR(CheckDeployedLocked(name));
  TAILOR_ASSIGN_OR_RETURN(auto upd, db_->Prepare("UPDATE functions SET removed_unix_ms = ?2 "
                                                 "WHERE name = ?1 AND removed_unix_ms IS NULL"));
  upd.Bind(1, name).Bind(2, ToUnixMillis(clock_.WallNow()));
  TAILOR_RETURN_IF_ERROR(upd.Run());
  ForgetLocked(name);
  return static_cast<uint32_t>(db_->ChangesOfLastStatement());
}

Result<std::string> FunctionRegistry::ReadBundle(const std::string& digest) {
  if (!IsSha256Hex(digest)) return InvalidArgumentError("'" + digest + "' is not a SHA-256 digest");
  auto bytes = ReadFile(BundlePath(digest));
  if (!bytes.ok()) return NotFoundError("no bundle with digest " + digest);
  return bytes;
}

}  // namespace tailor::scheduler
