#include "common/sqlite_db.h"

#include <sqlite3.h>

#include <cerrno>

namespace tailor {
namespace {

Status SqliteError(sqlite3* db, int rc, std::string_view what) {
  std::string message(what);
  message += ": ";
  message += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  int primary = rc & 0xff;
  // A full disk may also surface as an I/O error whose system errno says so.
  const bool disk_full = primary == SQLITE_FULL ||
                         (primary == SQLITE_IOERR && db && sqlite3_system_errno(db) == ENOSPC);
  if (disk_full) {
    return UnavailableError(std::move(message)).WithReason(ErrorReason::kStorageFull);
  }
  switch (primary) {
    case SQLITE_BUSY: case SQLITE_LOCKED: return UnavailableError(std::move(message));
    case SQLITE_CONSTRAINT: return AlreadyExistsError(std::move(message));
    case SQLITE_NOMEM:
      return ResourceExhaustedError(std::move(message));
    case SQLITE_CORRUPT: case SQLITE_NOTADB: return DataLossError(std::move(message));
    case SQLITE_CANTOPEN: case SQLITE_PERM: case SQLITE_READONLY:
      return PermissionDeniedError(std::move(message));
    default: return InternalError(std::move(message));
  }
}

}  // namespace

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : db_(other.db_), stmt_(other.stmt_), bind_error_(other.bind_error_) {
  other.stmt_ = nullptr;
}

SqliteStatement::~SqliteStatement() {
  if (stmt_ != nullptr) sqlite3_finalize(stmt_);
}

SqliteStatement& SqliteStatement::Bind(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) bind_error_ = rc;
  return *this;
}
SqliteStatement& SqliteStatement::Bind(int index, double value) {
  int rc = sqlite3_bind_double(stmt_, index, value);
  if (rc != SQLITE_OK) bind_error_ = rc;
  return *this;
}
SqliteStatement& SqliteStatement::Bind(int index, std::string_view text) {
  int rc = sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()),
                             SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) bind_error_ = rc;
  return *this;
}
SqliteStatement& SqliteStatement::BindBlob(int index, std::string_view bytes) {
  int rc = sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()),
                             SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) bind_error_ = rc;
  return *this;
}
SqliteStatement& SqliteStatement::BindNull(int index) {
  int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) bind_error_ = rc;
  return *this;
}

Status SqliteStatement::BindStatus() const {
  if (bind_error_ == 0) return OkStatus();
  return SqliteError(db_, bind_error_, "binding parameter");
}

Result<bool> SqliteStatement::Step() {
  TAILOR_RETURN_IF_ERROR(BindStatus());
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(db_, rc, "executing statement");
}

Status SqliteStatement::Run() {
  TAILOR_ASSIGN_OR_RETURN(bool has_row, Step());
  (void)has_row;
  Reset();
  return OkStatus();
}

void SqliteStatement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_ = 0;
}

int64_t SqliteStatement::ColumnInt64(int column) const {
  return sqlite3_column_int64(stmt_, column);
}
double SqliteStatement::ColumnDouble(int column) const {
  return sqlite3_column_double(stmt_, column);
}
std::string SqliteStatement::ColumnText(int column) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  int size = sqlite3_column_bytes(stmt_, column);
  if (data == nullptr || size <= 0) return {};
  return std::string(static_cast<const char*>(data), static_cast<size_t>(size));
}
bool SqliteStatement::ColumnIsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

Result<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path,
                                                  Durability durability, Sharing sharing) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    Status s = SqliteError(raw, rc, "opening database " + path);
    sqlite3_close(raw);
    return s;
  }
  std::unique_ptr<SqliteDb> db(new SqliteDb(raw, path));
  sqlite3_busy_timeout(raw, 5000);
  // Before WAL is enabled, so that the WAL index is kept in memory.
  if (sharing == Sharing::kExclusive) TAILOR_RETURN_IF_ERROR(db->Exec("PRAGMA locking_mode=EXCLUSIVE"));
  TAILOR_RETURN_IF_ERROR_CTX(db->Exec("PRAGMA journal_mode=WAL"), "enabling WAL on " + path);
  TAILOR_RETURN_IF_ERROR(db->Exec(durability == Durability::kSurvivePowerLoss
                                      ? "PRAGMA synchronous=FULL"
                                      : "PRAGMA synchronous=NORMAL"));
  TAILOR_RETURN_IF_ERROR(db->Exec("PRAGMA foreign_keys=ON"));
  return db;
}

SqliteDb::~SqliteDb() { sqlite3_close_v2(db_); }

Status SqliteDb::Exec(std::string_view sql) {
  std::string copy(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, copy.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string message = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    // The code and reason from SQLite's result (and errno), the words from sqlite3_exec.
    Status s = SqliteError(db_, rc, "executing SQL");
    return Status(s.code(), "executing SQL: " + message).WithReason(s.reason());
  }
  return OkStatus();
}

Result<SqliteStatement> SqliteDb::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db_, rc, "preparing SQL");
  return SqliteStatement(db_, stmt);
}

Result<int64_t> SqliteDb::SchemaVersion() {
  TAILOR_ASSIGN_OR_RETURN(SqliteStatement stmt, Prepare("PRAGMA user_version"));
  TAILOR_ASSIGN_OR_RETURN(bool has_row, stmt.Step());
  if (!has_row) return InternalError("PRAGMA user_version returned no row");
  return stmt.ColumnInt64(0);
}

Status SqliteDb::Migrate(std::span<const std::string_view> migrations) {
  TAILOR_ASSIGN_OR_RETURN(int64_t version, SchemaVersion());
  const auto known = static_cast<int64_t>(migrations.size());
  if (version > known) {
    return FailedPreconditionError("database " + path_ + " has schema version " +
                                   std::to_string(version) + " but this binary knows only " +
                                   std::to_string(known));
  }
  for (int64_t i = version; i < known; ++i) {
    Status s = InTransaction([&]() -> Status {
      TAILOR_RETURN_IF_ERROR(Exec(migrations[static_cast<size_t>(i)]));
      return Exec("PRAGMA user_version=" + std::to_string(i + 1));
    });
    TAILOR_RETURN_IF_ERROR_CTX(s, "applying migration " + std::to_string(i + 1) + " to " + path_);
  }
  return OkStatus();
}

Status SqliteDb::InTransaction(const std::function<Status()>& body) {
  TAILOR_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  Status s = body();
  if (!s.ok()) {
    (void)Exec("ROLLBACK");
    return s;
  }
  Status commit = Exec("COMMIT");
  if (!commit.ok()) (void)Exec("ROLLBACK");
  return commit;
}

int64_t SqliteDb::ChangesOfLastStatement() const { return sqlite3_changes64(db_); }

}  // namespace tailor
