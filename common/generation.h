// NewGeneration: a number this process has never handed out before (the first is 1).
//
// Learned state takes a new one when it is created and whenever it is restored, so that work
// taken from it earlier (a refit, a save in parts) can tell that the state it began on is gone,
// even where the restored state was built apart and moved in over the old.
//
// Thread-safety: safe to call concurrently.
#pragma once

#include <cstdint>

namespace tailor {

uint64_t NewGeneration();

}  // namespace tailor
