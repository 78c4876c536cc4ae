#include "agent/report_spool.h"

#include "common/logging.h"

namespace tailor::agent {
namespace {
constexpr std::string_view kSpoolMigrations[] = {
    "CREATE TABLE spool (seq INTEGER PRIMARY KEY AUTOINCREMENT, invocation_id TEXT NOT NULL "
    "UNIQUE, report BLOB NOT NULL);",
};
}  // namespace

Result<std::unique_ptr<ReportSpool>> ReportSpool::Open(const std::string& path,
                                                       uint64_t max_reports) {
  TAILOR_ASSIGN_OR_RETURN(auto db, SqliteDb::Open(path, Durability::kSurviveProcessCrash, Sharing::kExclusive));
  TAILOR_RETURN_IF_ERROR(db->Migrate(kSpoolMigrations));
  std::unique_ptr<ReportSpool> spool(new ReportSpool(std::move(db), max_reports));
  TAILOR_ASSIGN_OR_RETURN(auto count, spool->db_->Prepare("SELECT COUNT(*) FROM spool"));
  TAILOR_ASSIGN_OR_RETURN(bool row, count.Step());
  spool->depth_ = row ? static_cast<uint64_t>(count.ColumnInt64(0)) : 0;
  return spool;
}

Status ReportSpool::Append(const v1::RunReport& report) {
  std::lock_guard lock(mu_);
  if (depth_ >= max_reports_) {
    const uint64_t dropped = dropped_.fetch_add(1) + 1;
    log::Error("report spool full; dropping run report",
               {{"invocation", report.invocation_id()}, {"max_reports", max_reports_},
                {"dropped_total", dropped}});
    return ResourceExhaustedError("report spool full (" + std::to_string(max_reports_) + ")");
  }
  std::string blob;
  report.SerializeToString(&blob);
  TAILOR_ASSIGN_OR_RETURN(
      auto stmt,
      db_->Prepare("INSERT OR IGNORE INTO spool (invocation_id, report) VALUES (?1, ?2)"));
  stmt.Bind(1, report.invocation_id()).BindBlob(2, blob);
  TAILOR_RETURN_IF_ERROR(stmt.Run());
  depth_ += static_cast<uint64_t>(db_->ChangesOfLastStatement());
  return OkStatus();
}

Result<std::vector<v1::RunReport>> ReportSpool::Peek(size_t limit) {
  std::lock_guard lock(mu_);
  TAILOR_ASSIGN_OR_RETURN(auto stmt,
                          db_->Prepare("SELECT report FROM spool ORDER BY seq LIMIT ?1"));
  stmt.Bind(1, static_cast<int64_t>(limit));
  std::vector<v1::RunReport> out;
  while (true) {
    TAILOR_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    v1::RunReport r;
    if (!r.ParseFromString(stmt.ColumnText(0))) return DataLossError("spooled report does not parse");
    out.push_back(std::move(r));
  }
  return out;
}

Status ReportSpool::Ack(const std::vector<std::string>& ids) {
  if (ids.empty()) return OkStatus();
  std::lock_guard lock(mu_);
  uint64_t removed = 0;
  Status s = db_->InTransaction([&]() -> Status {
    TAILOR_ASSIGN_OR_RETURN(auto stmt, db_->Prepare("DELETE FROM spool WHERE invocation_id=?1"));
    for (const auto& id : ids) {
      stmt.Bind(1, id);
      TAILOR_RETURN_IF_ERROR(stmt.Run());
      removed += static_cast<uint64_t>(db_->ChangesOfLastStatement());
    }
    return OkStatus();
  });
  if (s.ok()) depth_ -= std::min(depth_, removed);
  return s;
}

uint64_t ReportSpool::depth() {
  std::lock_guard lock(mu_);
  return depth_;
}

}  // namespace tailor::agent
