#include "scheduler/run_store.h"

#include <algorithm>

namespace tailor::scheduler {

Result<std::vector<bool>> RunStore::Insert(const std::vector<Incoming>& reports) {
  Pending me{&reports};
  std::unique_lock queue_lock(queue_mu_);
  queue_.push_back(&me);
  queue_cv_.wait(queue_lock, [&] { return me.done || !committing_; });
  if (me.done) return std::move(me.result);
  // This caller commits every batch queued so far, its own included.
  committing_ = true;
  std::vector<Pending*> group;
  group.swap(queue_);
  queue_lock.unlock();
  CommitGroup(group);
  queue_lock.lock();
  for (Pending* p : group) p->done = true;
  committing_ = false;
  queue_cv_.notify_all();
  return std::move(me.result);
}

void RunStore::CommitGroup(const std::vector<Pending*>& group) {
  std::lock_guard lock(mu_);
  if (commit_hook_) commit_hook_(group.size());
  const int64_t now_ms = ToUnixMillis(clock_.WallNow());
  std::vector<std::vector<bool>> fresh;
  Status stored = CommitLocked(group, now_ms, fresh);
  if (stored.ok()) {
    for (size_t i = 0; i < group.size(); ++i) group[i]->result = std::move(fresh[i]);
  } else if (group.size() == 1) {
    group[0]->result = stored;
  } else {
    // Which batch failed is not known: each alone, so the others are stored.
    for (Pending* p : group) {
      Status alone = CommitLocked({p}, now_ms, fresh);
      if (alone.ok()) {
        p->result = std::move(fresh[0]);
      } else {
        p->result = alone;
      }
    }
  }
  size_t inserted = 0;
  for (const Pending* p : group) inserted += p->result.ok() ? p->reports->size() : 0;
  inserts_since_check_ += inserted;
  if (inserts_since_check_ < std::max<uint64_t>(1, options_.max_runs / 100)) return;
  inserts_since_check_ = 0;
  if (Status kept = EnforceRetentionLocked(); !kept.ok()) {
    for (Pending* p : group) {
      if (p->result.ok()) p->result = kept;
    }
  }
}

Status RunStore::CommitLocked(const std::vector<Pending*>& batches, int64_t now_ms,
                              std::vector<std::vector<bool>>& fresh) {
  fresh.assign(batches.size(), {});
  Status committed = db_.InTransaction([&]() -> Status {
    TAILOR_ASSIGN_OR_RETURN(
        auto insert, db_.Prepare("INSERT OR IGNORE INTO runs (invocation_id, function_name, "
                                 "function_version, node_id, outcome, end_unix_ms, wall_time_us, "
                                 "received_unix_ms, report, host_class) "
                                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"));
    for (size_t i = 0; i < batches.size(); ++i) {
      TAILOR_RETURN_IF_ERROR(InsertBatchLocked(insert, *batches[i]->reports, now_ms, fresh[i]));
    }
    return OkStatus();
  });
  if (committed.ok()) ++commits_;
  return committed;
}

Status RunStore::InsertBatchLocked(SqliteStatement& insert, const std::vector<Incoming>& reports,
                                   int64_t now_ms, std::vector<bool>& fresh) {
  fresh.clear();
  fresh.reserve(reports.size());
  std::string blob;
  for (const Incoming& in : reports) {
    const v1::RunReport* r = in.report;
    blob.clear();
    r->SerializeToString(&blob);
    insert.Bind(1, r->invocation_id())
        .Bind(2, r->function_name())
        .Bind(3, r->function_version())
        .Bind(4, r->node_id())
        .Bind(5, static_cast<int64_t>(r->outcome()))
        .Bind(6, r->end_unix_ms())
        .Bind(7, r->wall_time_us())
        .Bind(8, now_ms)
        .BindBlob(9, blob)
        .Bind(10, in.host_class);
    TAILOR_RETURN_IF_ERROR(insert.Run());
    fresh.push_back(db_.ChangesOfLastStatement() > 0);
  }
  return OkStatus();
}

uint64_t RunStore::commits() {
  std::lock_guard lock(mu_);
  return commits_;
}

size_t RunStore::waiting() {
  std::lock_guard lock(queue_mu_);
  return queue_.size();
}

Status RunStore::EnforceRetentionLocked() {
  TAILOR_ASSIGN_OR_RETURN(auto count, db_.Prepare("SELECT COUNT(*) FROM runs"));
  TAILOR_ASSIGN_OR_RETURN(bool row, count.Step());
  const int64_t n = row ? count.ColumnInt64(0) : 0;
  count.Reset();
  const int64_t excess = n - static_cast<int64_t>(options_.max_runs);
  if (excess <= 0) return OkStatus();
  TAILOR_ASSIGN_OR_RETURN(
      auto del, db_.Prepare("DELETE FROM runs WHERE rowid IN "
                            "(SELECT rowid FROM runs ORDER BY received_unix_ms, rowid LIMIT ?1)"));
  del.Bind(1, excess);
  return del.Run();
}

namespace {

// Rows of (host_class, report blob).
Result<std::vector<RunStore::StoredRun>> ReadRuns(SqliteStatement& q) {
  std::vector<RunStore::StoredRun> out;
  while (true) {
    TAILOR_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    RunStore::StoredRun run;
    run.host_class = q.ColumnText(0);
    if (!run.report.ParseFromString(q.ColumnText(1))) {
      return DataLossError("a stored run report does not parse");
    }
    out.push_back(std::move(run));
  }
  return out;
}

}  // namespace

Result<int64_t> RunStore::NewestRowid() {
  std::lock_guard lock(mu_);
  TAILOR_ASSIGN_OR_RETURN(auto q, db_.Prepare("SELECT COALESCE(MAX(rowid), 0) FROM runs"));
  TAILOR_ASSIGN_OR_RETURN(bool row, q.Step());
  return row ? q.ColumnInt64(0) : 0;
}

Result<std::vector<RunStore::StoredRun>> RunStore::Recent(size_t limit, int64_t after_rowid) {
  std::lock_guard lock(mu_);
  TAILOR_ASSIGN_OR_RETURN(auto q, db_.Prepare("SELECT host_class, report FROM "
                                              "(SELECT rowid AS r, host_class, report FROM runs "
                                              "WHERE rowid > ?2 ORDER BY rowid DESC LIMIT ?1) "
                                              "ORDER BY r"));
  q.Bind(1, static_cast<int64_t>(limit)).Bind(2, after_rowid);
  return ReadRuns(q);
}

Result<std::vector<RunStore::StoredRun>> RunStore::RunsOf(const std::string& function_name,
                                                          size_t limit) {
  std::lock_guard lock(mu_);
  TAILOR_ASSIGN_OR_RETURN(auto q, db_.Prepare("SELECT host_class, report FROM runs "
                                              "WHERE function_name = ?1 "
                                              "ORDER BY end_unix_ms DESC LIMIT ?2"));
  q.Bind(1, function_name).Bind(2, static_cast<int64_t>(limit));
  return ReadRuns(q);
}

Result<uint64_t> RunStore::Count() {
  std::lock_guard lock(mu_);
  TAILOR_ASSIGN_OR_RETURN(auto stmt, db_.Prepare("SELECT COUNT(*) FROM runs"));
  TAILOR_ASSIGN_OR_RETURN(bool row, stmt.Step());
  return row ? static_cast<uint64_t>(stmt.ColumnInt64(0)) : 0;
}

}  // namespace tailor::scheduler
