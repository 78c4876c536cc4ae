// Listen addresses: whether a server would be reachable from other hosts. A server without TLS
// listens only on loopback unless the operator passed --insecure-allow-anyone.
//
// Thread-safety: pure functions.
#pragma once

#include <string_view>

#include "common/status.h"

namespace tailor {

// "127.0.0.1", "127.x.y.z", "::1", "[::1]", "localhost": true. Anything else (0.0.0.0, [::],
// a host name, a routable address): false.
bool IsLoopbackHost(std::string_view host);

// FAILED_PRECONDITION naming `what` and the flag when `listen` ("host:port") is not loopback
// and `insecure` is false.
Status CheckPlaintextListen(std::string_view what, std::string_view listen, bool insecure);

}  // namespace tailor
