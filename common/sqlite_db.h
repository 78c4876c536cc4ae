// SqliteDb: a thin RAII wrapper over one SQLite connection, with versioned migrations.
//
// Opened databases use WAL journaling, foreign keys and a busy timeout. Durability is chosen
// per database: kSurvivePowerLoss (synchronous=FULL: a committed write survives a machine
// crash; one fsync per commit) or kSurviveProcessCrash (synchronous=NORMAL: a committed write
// survives the process being killed, and the file is never corrupted, but the last commits
// may roll back if the machine loses power). Migrations are an ordered list of SQL scripts; the
// number applied is kept in PRAGMA user_version, and each runs in its own transaction.
//
// Thread-safety: a SqliteDb is used by one thread at a time; owners guard it with a mutex.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace tailor {

class SqliteStatement {
 public:
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&&) = delete;
  SqliteStatement(const SqliteStatement&) = delete;
  ~SqliteStatement();

  // Parameters are 1-based, as in SQLite.
  SqliteStatement& Bind(int index, int64_t value);
  SqliteStatement& Bind(int index, double value);
  SqliteStatement& Bind(int index, std::string_view text);
  SqliteStatement& BindBlob(int index, std::string_view bytes);
  SqliteStatement& BindNull(int index);

  // Advances to the next row. true: a row is ready; false: done.
  Result<bool> Step();
  // Runs a statement that returns no rows.
  Status Run();
  void Reset();

  int64_t ColumnInt64(int column) const;
  double ColumnDouble(int column) const;
  std::string ColumnText(int column) const;
  bool ColumnIsNull(int column) const;

 private:
  Status BindStatus() const;
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  int bind_error_ = 0;
};

enum class Durability { kSurvivePowerLoss, kSurviveProcessCrash };
// kExclusive: only this process opens the file while it runs (SQLite's exclusive locking
// mode: the lock is taken once and kept, and the WAL index lives in memory instead of a -shm
// file, so a write transaction makes a few system calls instead of a dozen file-lock calls).
// Another process opening the file meanwhile gets SQLITE_BUSY, which also keeps two agents
// from sharing one spool by mistake.
enum class Sharing { kShared, kExclusive };

class SqliteDb {
 public:
  static Result<std::unique_ptr<SqliteDb>> Open(
      const std::string& path, Durability durability = Durability::kSurvivePowerLoss,
      Sharing sharing = Sharing::kShared);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  Status Exec(std::string_view sql);
  Result<SqliteStatement> Prepare(std::string_view sql);

  // Applies migrations[user_version..] in order; migrations already applied are skipped.
  // FAILED_PRECONDITION if the file was written by a newer schema than this binary knows.
  Status Migrate(std::span<const std::string_view> migrations);
  Result<int64_t> SchemaVersion();

  // Runs `body` inside BEGIN IMMEDIATE ... COMMIT; rolls back if it returns an error.
  Status InTransaction(const std::function<Status()>& body);

  int64_t ChangesOfLastStatement() const;
  const std::string& path() const { return path_; }

 private:
  SqliteDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
};

}  // namespace tailor
