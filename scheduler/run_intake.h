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
// Thread-safety: all methods are safe to call concurrently.
#pragma once

#include <functional>
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

  void SetLagHook(LagHook hook) { lag_hook_ = std::move(hook); }
  void SetRejectHook(RejectHook hook) { reject_hook_ = std::move(hook); }

 private:
  // OK and the node's host class, or why the report is refused.
  Result<std::string> Check(const v1::RunReport& report);

  RunStore& store_;
  NodeRegistry& nodes_;
  Placer& placer_;
  const Clock& clock_;
  LagHook lag_hook_;
  RejectHook reject_hook_;
};

}  // namespace tailor::scheduler
