// FunctionProfile: what Tailor has learned about one function, per host class, from its stored
// runs: run and failure counts, duration quantiles, CPU per wall-clock second, peak memory, OOM
// kills, and the allocation those figures recommend (memory: the p95 peak plus 25% headroom,
// doubled after an OOM kill; CPU: the mean CPU-to-wall ratio, rounded up to 100 millicores).
//
// Thread-safety: stateless.
#pragma once

#include <string>
#include <vector>

#include "scheduler/run_store.h"
#include "tailor/v1/gateway.pb.h"

namespace tailor::scheduler {

v1::FunctionProfile ComputeProfile(const std::string& function_name,
                                   const std::vector<RunStore::StoredRun>& runs);

// Nearest-rank quantile of unsorted values (0 for none).
double Quantile(std::vector<double> values, double q);

}  // namespace tailor::scheduler
