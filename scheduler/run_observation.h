// ObservationOf: a stored run report as the models see it (models::RunObservation): times in
// milliseconds, the run's quota and the share of its CFS periods that were throttled, the LLC
// figures only where they were measured. The host class's feature vector is left to the
// caller, which knows the classes.
//
// Thread-safety: stateless.
#pragma once

#include <string>

#include "models/placement_policy.h"
#include "tailor/v1/run_report.pb.h"

namespace tailor::scheduler {

models::RunObservation ObservationOf(const v1::RunReport& report, const std::string& host_class);

}  // namespace tailor::scheduler
