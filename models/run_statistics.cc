#include "models/run_statistics.h"

#include <cmath>

namespace tailor::models {

void RunStatistics::Add(const RunObservation& run) {
  if (run.succeeded && run.wall_ms > 0) duration_ms_.Add(run.wall_ms);
  if (run.peak_memory_bytes > 0) peak_bytes_.Add(static_cast<double>(run.peak_memory_bytes));
  cpu_ms_.Add(run.cpu_ms);
  read_bytes_.Add(static_cast<double>(run.read_bytes));
  write_bytes_.Add(static_cast<double>(run.write_bytes));
  if (run.llc_miss_ratio >= 0) llc_miss_.Add(run.llc_miss_ratio);
  if (run.llc_occupancy_bytes > 0) llc_occupancy_.Add(static_cast<double>(run.llc_occupancy_bytes));
  if (run.memory_bandwidth_bytes > 0) {
    memory_bandwidth_.Add(static_cast<double>(run.memory_bandwidth_bytes));
  }
}

std::string RunStatistics::Save() const {
  ByteWriter out;
  for (const Mean* m : {&cpu_ms_, &read_bytes_, &write_bytes_, &llc_miss_, &llc_occupancy_,
                        &memory_bandwidth_}) {
    out.F64(m->value);
    out.F64(m->weight);
  }
  duration_ms_.Write(out);
  peak_bytes_.Write(out);
  return out.Take();
}

bool RunStatistics::Restore(std::string_view bytes) {
  ByteReader in(bytes);
  RunStatistics s;
  for (Mean* m : {&s.cpu_ms_, &s.read_bytes_, &s.write_bytes_, &s.llc_miss_, &s.llc_occupancy_,
                  &s.memory_bandwidth_}) {
    m->value = in.F64();
    m->weight = in.F64();
    if (!std::isfinite(m->value) || !std::isfinite(m->weight) || m->weight < 0) in.Fail();
  }
  if (!s.duration_ms_.Read(in) || !s.peak_bytes_.Read(in) || !in.AtEnd()) return false;
  *this = s;
  return true;
}

}  // namespace tailor::models
