#include "scheduler/database_guard.h"

#include <sys/stat.h>

#include <cerrno>

#include "scheduler/schema.h"

namespace tailor::scheduler {
namespace {

Result<int64_t> PragmaInt(SqliteDb& db, const std::string& pragma) {
  TAILOR_ASSIGN_OR_RETURN(auto q, db.Prepare("PRAGMA " + pragma));
  TAILOR_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return InternalError("PRAGMA " + pragma + " returned no row");
  return q.ColumnInt64(0);
}

Status Foreign(const SqliteDb& db, const std::string& why) {
  return FailedPreconditionError(db.path() + " is not a Tailor scheduler database (" + why +
                                 "); move it away, or point --data-dir elsewhere");
}

}  // namespace

Status CheckDatabaseFile(const std::string& path, bool allow_init) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return OkStatus();  // a new cluster
    return ErrnoToStatus(errno, "checking " + path);
  }
  if (!S_ISREG(st.st_mode)) return FailedPreconditionError(path + " is not a regular file");
  if (st.st_size == 0 && !allow_init) {
    return FailedPreconditionError(
        path +
        " is empty: it should hold this cluster's nodes, functions and queued "
        "invocations. Restore it from a backup, or start with --init to begin a new, "
        "empty cluster in it");
  }
  return OkStatus();
}

Status CheckOpenedDatabase(SqliteDb& db) {
  // The first read of a file that is not SQLite fails here (SQLITE_NOTADB).
  auto application_id = PragmaInt(db, "application_id");
  if (!application_id.ok()) {
    return Foreign(db, std::string(application_id.status().message()));
  }
  TAILOR_ASSIGN_OR_RETURN(int64_t version, db.SchemaVersion());
  TAILOR_ASSIGN_OR_RETURN(auto tables, db.Prepare("SELECT COUNT(*) FROM sqlite_master"));
  TAILOR_ASSIGN_OR_RETURN(bool row, tables.Step());
  const int64_t objects = row ? tables.ColumnInt64(0) : 0;
  tables.Reset();
  if (*application_id != 0 && *application_id != kSchedulerApplicationId) {
    return Foreign(db, "another program's application_id " + std::to_string(*application_id));
  }
  if (*application_id == 0 && version == 0 && objects > 0) {
    return Foreign(db, "it has tables but no Tailor schema version");
  }
  TAILOR_ASSIGN_OR_RETURN(auto check, db.Prepare("PRAGMA quick_check(5)"));
  std::string problems;
  while (true) {
    auto more = check.Step();
    if (!more.ok()) return DataLossError(db.path() + " is damaged: " + more.status().message());
    if (!*more) break;
    const std::string line = check.ColumnText(0);
    if (line != "ok") problems += (problems.empty() ? "" : "; ") + line;
  }
  if (!problems.empty()) {
    return DataLossError(db.path() + " is damaged (" + problems +
                         "); restore it from a backup (docs/operations.md)");
  }
  if (*application_id == 0) {
    return db.Exec("PRAGMA application_id=" + std::to_string(kSchedulerApplicationId));
  }
  return OkStatus();
}

Result<std::unique_ptr<SqliteDb>> OpenSchedulerDatabase(const std::string& path, bool allow_init) {
  TAILOR_RETURN_IF_ERROR(CheckDatabaseFile(path, allow_init));
  auto db = SqliteDb::Open(path);
  if (!db.ok()) {
    if (db.status().code() != StatusCode::kDataLoss) return db.status();
    return FailedPreconditionError(path + " cannot be read as a Tailor scheduler database (" +
                                   db.status().message() +
                                   "); move it away, or restore it from a backup");
  }
  TAILOR_RETURN_IF_ERROR(CheckOpenedDatabase(**db));
  TAILOR_RETURN_IF_ERROR((*db)->Migrate(SchedulerMigrations()));
  return db;
}

}  // namespace tailor::scheduler
