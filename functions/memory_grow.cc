// memory-grow: allocates and touches memory in steps up to a target (memory limits and OOM).
// Request: {"target_bytes": 268435456, "step_bytes": 16777216, "hold_ms": 0}
#include <chrono>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "functions/common/function_io.h"

int main() {
  using namespace tailor::functions;
  auto req = ReadRequest();
  const auto target = Param<size_t>(req, "target_bytes", 256 << 20);
  const auto step = std::max<size_t>(4096, Param<size_t>(req, "step_bytes", 16 << 20));
  const auto hold_ms = Param<int>(req, "hold_ms", 0);
  std::vector<std::unique_ptr<char[]>> blocks;
  size_t total = 0;
  while (total < target) {
    const size_t n = std::min(step, target - total);
    blocks.emplace_back(new char[n]);
    std::memset(blocks.back().get(), 1, n);  // touch every page
    total += n;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(hold_ms));
  WriteResponse({{"allocated_bytes", total}});
}
