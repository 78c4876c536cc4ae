// ReportSpool: the agent's durable queue of run reports, in a local SQLite file (WAL).
//
// Append() writes a report before the run's Invoke returns; the uploader reads the oldest
// reports in order with Peek() and deletes them with Ack() only after the scheduler
// acknowledged them, so a report survives agent restarts and scheduler outages. The spool is
// bounded: at max_reports, the new report is dropped, counted (dropped_total) and logged,
// never silently lost.
//
// Durability: a spooled report survives the agent being killed or restarted at any point
// (SQLite WAL, synchronous=NORMAL). A power loss may roll back the last few reports; the
// spool trades that for not paying an fsync on every function run (see docs/benchmarks.md).
//
// Thread-safety: all methods are safe to call concurrently.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/runtime/run_report_sink.h"
#include "common/sqlite_db.h"

namespace tailor::agent {

class ReportSpool final : public RunReportSink {
 public:
  static Result<std::unique_ptr<ReportSpool>> Open(const std::string& path, uint64_t max_reports);

  Status Append(const v1::RunReport& report) override;
  // The oldest `limit` reports, in the order they were appended.
  Result<std::vector<v1::RunReport>> Peek(size_t limit);
  // Deletes the reports with these invocation ids.
  Status Ack(const std::vector<std::string>& invocation_ids);

  uint64_t depth();
  uint64_t dropped_total() const { return dropped_.load(); }

 private:
  ReportSpool(std::unique_ptr<SqliteDb> db, uint64_t max_reports)
      : db_(std::move(db)), max_reports_(max_reports) {}
  std::mutex mu_;
  std::unique_ptr<SqliteDb> db_;
  const uint64_t max_reports_;
  uint64_t depth_ = 0;
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace tailor::agent
