// DatabaseGuard: what the scheduler checks about scheduler.db before it trusts it. The file is
// the cluster's memory (nodes, functions, queued invocations, runs); starting on the wrong
// one must never look like a new, empty cluster.
//
//   - no file: a new cluster; the file is created.
//   - an empty file (0 bytes, as a failed copy or a full disk can leave): refused with
//     FAILED_PRECONDITION unless `allow_init` (tailor-scheduler --init).
//   - a file that is not SQLite, or a SQLite database another program wrote (its
//     application_id is not Tailor's, or it has tables but no schema version): refused with
//     FAILED_PRECONDITION, even with `allow_init`: move it away.
//   - a damaged database (PRAGMA quick_check finds problems): refused with DATA_LOSS, naming
//     the first problems; restore the backup (docs/operations.md).
//
// Thread-safety: functions of their arguments only.
#pragma once

#include <memory>
#include <string>

#include "common/sqlite_db.h"

namespace tailor::scheduler {

// Tailor's SQLite application_id ("TLR1"), set on every scheduler database.
inline constexpr int64_t kSchedulerApplicationId = 0x544c5231;

// Checks, opens and migrates the scheduler's database.
Result<std::unique_ptr<SqliteDb>> OpenSchedulerDatabase(const std::string& path, bool allow_init);

// The steps of OpenSchedulerDatabase. Before opening `path`:
Status CheckDatabaseFile(const std::string& path, bool allow_init);
// After opening, before migrating: the file is Tailor's and undamaged; marks a new one as
// Tailor's.
Status CheckOpenedDatabase(SqliteDb& db);

}  // namespace tailor::scheduler
