#include "scheduler/run_observation.h"

namespace tailor::scheduler {

models::RunObservation ObservationOf(const v1::RunReport& report, const std::string& host_class) {
  models::RunObservation o;
  o.function = report.function_name();
  o.node_id = report.node_id();
  o.host_class = host_class;
  o.payload_bytes = report.payload_bytes();
  o.wall_ms = report.wall_time_us() / 1000.0;
  o.cpu_ms = (double(report.user_cpu_us()) + double(report.system_cpu_us())) / 1000.0;
  o.peak_memory_bytes = report.peak_memory_bytes();
  o.memory_limit_bytes = report.memory_limit_bytes();
  o.cpu_quota_millicores = report.allocation().cpu_millicores();
  if (report.measured().cpu_throttling() && report.cpu_periods() > 0) {
    o.cpu_throttled_fraction =
        double(report.cpu_throttled_periods()) / double(report.cpu_periods());
  }
  if (report.measured().cpu_pressure()) o.cpu_waiting_ms = report.cpu_waiting_us() / 1000.0;
  o.oom_killed = report.oom_killed();
  o.succeeded = report.outcome() == v1::RUN_OUTCOME_SUCCEEDED;
  o.running_at_start = report.node_load_at_start().running_invocations();
  o.cpu_utilization_at_start = report.node_load_at_start().cpu_utilization();
  o.read_bytes = report.read_bytes();
  o.write_bytes = report.write_bytes();
  if (report.measured().resctrl_monitoring()) {
    o.llc_occupancy_bytes = report.llc_occupancy_bytes();
    o.memory_bandwidth_bytes = report.memory_bandwidth_bytes();
  }
  if (report.start_kind() == v1::START_KIND_COLD && report.init_duration_us() > 0) {
    o.cold_start_init_ms = report.init_duration_us() / 1000.0;
  }
  if (report.measured().perf_hardware() && report.llc_references() > 0) {
    o.llc_miss_ratio = double(report.llc_misses()) / double(report.llc_references());
  }
  return o;
}

}  // namespace tailor::scheduler
