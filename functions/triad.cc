// triad: STREAM-like a[i] = b[i] + s * c[i] over arrays larger than the cache (memory
// bandwidth). Request: {"elements": 8000000, "rounds": 10}
#include <vector>

#include "functions/common/function_io.h"

int main() {
  using namespace tailor::functions;
  auto req = ReadRequest();
  const auto n = Param<size_t>(req, "elements", 8'000'000);
  const auto rounds = Param<int>(req, "rounds", 10);
  std::vector<double> a(n, 0.0), b(n, 1.0), c(n, 2.0);
  for (int r = 0; r < rounds; ++r) {
    const double s = 3.0 + r;
    for (size_t i = 0; i < n; ++i) a[i] = b[i] + s * c[i];
  }
  const double bytes_moved = 3.0 * sizeof(double) * static_cast<double>(n) * rounds;
  WriteResponse({{"elements", n}, {"rounds", rounds}, {"bytes_moved", bytes_moved}, {"a0", a[0]}});
}
