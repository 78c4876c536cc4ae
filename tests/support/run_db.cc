#include "tests/support/run_db.h"

#include "common/sqlite_db.h"

namespace tailor::testing {

std::set<std::string> StoredInvocationIds(const std::string& db_path) {
  std::set<std::string> ids;
  auto db = SqliteDb::Open(db_path);
  if (!db.ok()) return ids;
  auto stmt = (*db)->Prepare("SELECT invocation_id FROM runs");
  if (!stmt.ok()) return ids;
  while (stmt->Step().value_or(false)) ids.insert(stmt->ColumnText(0));
  return ids;
}

std::map<std::string, int> StoredOutcomes(const std::string& db_path) {
  std::map<std::string, int> outcomes;
  auto db = SqliteDb::Open(db_path);
  if (!db.ok()) return outcomes;
  auto stmt = (*db)->Prepare("SELECT invocation_id, outcome FROM runs");
  if (!stmt.ok()) return outcomes;
  while (stmt->Step().value_or(false)) {
    outcomes[stmt->ColumnText(0)] = static_cast<int>(stmt->ColumnInt64(1));
  }
  return outcomes;
}

}  // namespace tailor::testing
