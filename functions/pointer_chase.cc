// pointer-chase: dependent loads over a random cycle through a working set (cache size and
// memory latency). Request: {"working_set_bytes": 33554432, "steps": 20000000}
#include <numeric>
#include <random>
#include <vector>

#include "functions/common/function_io.h"

int main() {
  using namespace tailor::functions;
  auto req = ReadRequest();
  const auto ws = Param<size_t>(req, "working_set_bytes", 32 << 20);
  const auto steps = Param<uint64_t>(req, "steps", 20'000'000);
  const size_t n = std::max<size_t>(2, ws / sizeof(uint32_t));
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin() + 1, order.end(), std::mt19937(42));
  std::vector<uint32_t> next(n);
  for (size_t i = 0; i + 1 < n; ++i) next[order[i]] = order[i + 1];
  next[order[n - 1]] = order[0];
  uint32_t p = 0;
  for (uint64_t s = 0; s < steps; ++s) p = next[p];
  WriteResponse({{"working_set_bytes", ws}, {"steps", steps}, {"end", p}});
}
