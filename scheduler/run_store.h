// RunStore: every run report the scheduler has accepted, in its SQLite database.
//
// Insert is idempotent by invocation id: a report sent twice (an agent replaying its spool
// after a disconnect, a platform retrying Report) is stored once, and both sends succeed.
//
// Thread-safety: all methods are safe to call concurrently (one connection, one mutex).
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/sqlite_db.h"
#include "tailor/v1/run_report.pb.h"

namespace tailor::scheduler {

class RunStore {
 public:
  RunStore(SqliteDb& db, const Clock& clock) : db_(db), clock_(clock) {}

  // Stores the reports in one transaction. Returns how many were new.
  Result<size_t> Insert(const std::vector<const v1::RunReport*>& reports);
  Result<uint64_t> Count();

 private:
  SqliteDb& db_;
  const Clock& clock_;
  std::mutex mu_;
};

// INVALID_ARGUMENT when a report lacks what the store keys on.
Status ValidateRunReport(const v1::RunReport& report);

}  // namespace tailor::scheduler
