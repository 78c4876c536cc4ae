#include "tests/support/metrics_text.h"

#include <string>

namespace tailor::testing {

double SeriesValue(std::string_view page, std::string_view series) {
  for (size_t start = 0; start < page.size();) {
    size_t end = page.find('\n', start);
    if (end == std::string_view::npos) end = page.size();
    const std::string_view line = page.substr(start, end - start);
    if (line.size() > series.size() && line.starts_with(series) && line[series.size()] == ' ') {
      return std::stod(std::string(line.substr(series.size() + 1)));
    }
    start = end + 1;
  }
  return -1;
}

}  // namespace tailor::testing
