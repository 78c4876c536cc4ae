#include "common/generation.h"

#include <atomic>

namespace tailor {

uint64_t NewGeneration() {
  static std::atomic<uint64_t> last{0};
  return last.fetch_add(1, std::memory_order_relaxed) + 1;
}

}  // namespace tailor
