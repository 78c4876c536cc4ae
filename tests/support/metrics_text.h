// Reads a value out of a Prometheus text page (what /metrics serves), for tests that check what
// a scheduler or agent counted.
#pragma once

#include <string_view>

namespace tailor::testing {

// The value of the sample line "<series> <value>" in `page` (series with its labels, exactly as
// served, e.g. `tailor_scheduler_model_saves_total{result="failed"}`), or -1 when there is none.
double SeriesValue(std::string_view page, std::string_view series);

}  // namespace tailor::testing
