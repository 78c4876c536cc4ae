// Malloc tuning for Tailor's servers: keep freed memory for reuse instead of handing it back to
// the kernel after every request.
//
// A ranking of 5,000 nodes (the Kubernetes extender, Placer::Rank) builds megabyte-sized
// vectors per request. With glibc's defaults such a buffer is mmapped (or the heap's top is
// trimmed with madvise) when freed, and the next request faults every page in again: on the
// dev VMs' paravirtualized kernel that page-fault work was two thirds of the extender's time
// (docs/benchmarks.md). Raising the mmap and trim thresholds keeps those pages in the process.
// Called once at start, before threads; the cost is resident memory that stays at its peak.
//
// Thread-safety: call before any other thread starts.
#pragma once

#include <cstddef>

namespace tailor {

// Blocks up to this size come from the heap (and are reused) rather than from their own mmap.
inline constexpr size_t kMallocMmapThresholdBytes = 32u << 20;
// Free memory at the heap's top is returned to the kernel only beyond this.
inline constexpr size_t kMallocTrimThresholdBytes = 256u << 20;

// False when the C library refused a setting (the server runs on with its defaults).
bool KeepFreedMemoryForReuse();

}  // namespace tailor
