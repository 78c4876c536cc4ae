#include "proto/listen_address.h"

#include <string>

namespace tailor {

bool IsLoopbackHost(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

Status CheckPlaintextListen(std::string_view what, std::string_view listen, bool insecure) {
  if (insecure) return OkStatus();
  const auto colon = listen.rfind(':');
  const std::string_view host = colon == std::string_view::npos ? listen : listen.substr(0, colon);
  if (IsLoopbackHost(host)) return OkStatus();
  return FailedPreconditionError(std::string(what) + " has no TLS, so it listens only on " +
                                 "loopback, and " + std::string(listen) +
                                 " is not; give it TLS files or pass --insecure-allow-anyone");
}

}  // namespace tailor
