// RunIntake: the one path every run report takes into the scheduler, whether an agent
// delivered it (RunIngest) or a platform reported a run it executed itself (Placement.Report).
// It validates the reports, tags each with its node's host class, stores them idempotently
// (RunStore), and teaches the placer with each report seen for the first time (a replayed
// report is acknowledged but not learned twice).
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

  RunIntake(RunStore& store, NodeRegistry& nodes, Placer& placer, const Clock& clock)
      : store_(store), nodes_(nodes), placer_(placer), clock_(clock) {}

  // INVALID_ARGUMENT (nothing stored) when any report is malformed. Returns, per report,
  // whether it was new.
  Result<std::vector<bool>> Accept(const std::vector<const v1::RunReport*>& reports);

  void SetLagHook(LagHook hook) { lag_hook_ = std::move(hook); }

 private:
  RunStore& store_;
  NodeRegistry& nodes_;
  Placer& placer_;
  const Clock& clock_;
  LagHook lag_hook_;
};

}  // namespace tailor::scheduler
