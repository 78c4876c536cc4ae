// RunIntake: the one path every run report takes into the scheduler, whether an agent
// delivered it (RunIngest) or a platform reported a run it executed itself (Placement.Report).
// It checks each report, tags it with its node's host class, stores it idempotently
// (RunStore), and teaches the placer with each report seen for the first time (a replayed
// report is acknowledged but not learned twice).
//
// What a report must be, beyond a well-formed message (proto/validation.h): a run of a
// registered node; no more CPU time than its wall time on all of that node's cores (plus 5%
// and 100 ms for accounting granularity); no higher memory peak than the node's memory (plus
// 5%); a decision id, if any, issued by this scheduler for the same function and node
// (Placer::CheckReportDecision). A report that breaks a rule is rejected on its own, with the
// field at fault, and nothing of it is stored or learned; the others in the batch go ahead.
//
// A model save stands on a point of the stored runs (BeginModelSave): the row id of the newest
// run stored, every run up to it learned, none after it. A restarted scheduler restores the
// saved models and replays the runs stored after that row id, so each run counts once.
//
// Thread-safety: all methods are safe to call concurrently; BeginModelSave and EndModelSave
// come in pairs, one pair at a time.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <vector>

#include "common/clock.h"
#include "scheduler/node_registry.h"
#include "scheduler/placer.h"
#include "scheduler/run_store.h"

namespace tailor::scheduler {

class RunIntake {
 public:
  // Called per new report with the seconds from the run's end to its arrival.
  using LagHook = std::function<void(double lag_seconds, const v1::RunReport& report)>;
  // Called per rejected report.
  using RejectHook = std::function<void(const Status& why)>;

  RunIntake(RunStore& store, NodeRegistry& nodes, Placer& placer, const Clock& clock)
      : store_(store), nodes_(nodes), placer_(placer), clock_(clock) {}

  struct Verdict {
    Status rejected;     // OK when the report was stored (or had been before)
    bool fresh = false;  // stored now for the first time
  };
  // One verdict per report, in order. An error (nothing stored) only when storing failed.
  Result<std::vector<Verdict>> Accept(const std::vector<const v1::RunReport*>& reports);

  // Holds off new batches and waits for those between storing and learning to end; then
  // returns the newest stored run's row id and has the placer keep the runs learned from now
  // on aside (Placer::HoldLearning) until EndModelSave, so the models saved in between hold
  // exactly the runs stored up to that row id. Batches wait only for the row id's read.
  Result<int64_t> BeginModelSave();
  // Teaches the runs kept aside (Placer::ResumeLearning).
  void EndModelSave();
  // Whether a BeginModelSave is waiting for batches in flight (for tests).
  bool ModelSaveStarting();

  void SetLagHook(LagHook hook) { lag_hook_ = std::move(hook); }
  void SetRejectHook(RejectHook hook) { reject_hook_ = std::move(hook); }

 private:
  // OK and the node's host class, or why the report is refused.
  Result<std::string> Check(const v1::RunReport& report);
  // A batch is in flight from before it is stored until it is learned.
  void EnterBatch();
  void LeaveBatch();

  RunStore& store_;
  NodeRegistry& nodes_;
  Placer& placer_;
  const Clock& clock_;
  LagHook lag_hook_;
  RejectHook reject_hook_;
  std::mutex gate_mu_;
  std::condition_variable gate_cv_;
  int batches_in_flight_ = 0;   // guarded by gate_mu_
  bool save_starting_ = false;  // guarded by gate_mu_
};

}  // namespace tailor::scheduler
