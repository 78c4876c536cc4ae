// RandomId: a random 128-bit identifier in lower-case hex (32 characters), for invocation,
// decision and async-request ids. Not for secrets.
//
// Thread-safety: safe to call concurrently (one generator per thread).
#pragma once

#include <string>

namespace tailor {

std::string RandomId();

}  // namespace tailor
