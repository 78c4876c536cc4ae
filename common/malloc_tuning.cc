#include "common/malloc_tuning.h"

#include <malloc.h>

namespace tailor {

bool KeepFreedMemoryForReuse() {
  // Setting the mmap threshold also turns off glibc's dynamic threshold, which would otherwise
  // follow the largest block freed so far and trim the heap at twice that.
  const bool mmap_set = mallopt(M_MMAP_THRESHOLD, static_cast<int>(kMallocMmapThresholdBytes)) == 1;
  const bool trim_set = mallopt(M_TRIM_THRESHOLD, static_cast<int>(kMallocTrimThresholdBytes)) == 1;
  return mmap_set && trim_set;
}

}  // namespace tailor
