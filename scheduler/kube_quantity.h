// KubeQuantity: Kubernetes resource quantities ("500m", "1.5", "128Mi", "2G", "1e3") as a pod's
// requests write them, read into Tailor's units. The grammar is Kubernetes' own
// (k8s.io/apimachinery resource.Quantity): a decimal number with an optional binary suffix
// (Ki Mi Gi Ti Pi Ei), decimal suffix (n u m k M G T P E) or exponent (e3, E-2). Values are
// rounded up to the unit, as Kubernetes rounds a request up.
//
// Thread-safety: stateless.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/status.h"

namespace tailor::scheduler {

// A memory quantity in bytes. INVALID_ARGUMENT (naming `field`) for text that is not a
// quantity, a negative one, or one over 2^60 bytes.
Result<uint64_t> ParseMemoryQuantity(std::string_view text, std::string_view field);
// A CPU quantity in millicores ("250m" = 250, "2" = 2000). INVALID_ARGUMENT as above, over
// 2^20 cores.
Result<uint64_t> ParseCpuQuantity(std::string_view text, std::string_view field);

}  // namespace tailor::scheduler
