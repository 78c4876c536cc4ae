// FunctionProfile: what Tailor has learned about one function, per host class, from its stored
// runs: run and failure counts, duration quantiles, CPU per wall-clock second, peak memory, OOM
// kills, and the allocation the newest run there was given. The recommended allocation is not
// computed here but asked of the placer (what the next invocation would really get), so the
// profile never shows an allocation that is not used.
//
// Thread-safety: stateless.
#pragma once

#include <string>
#include <vector>

#include "scheduler/run_store.h"
#include "tailor/v1/gateway.pb.h"

namespace tailor::scheduler {

// `runs` newest first (as RunStore::RunsOf returns them).
v1::FunctionProfile ComputeProfile(const std::string& function_name,
                                   const std::vector<RunStore::StoredRun>& runs);

// Nearest-rank quantile of unsorted values (0 for none).
double Quantile(std::vector<double> values, double q);

}  // namespace tailor::scheduler
