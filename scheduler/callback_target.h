// CallbackTarget: where a completion callback goes, from an invocation's callback_url, checked
// as untrusted input: http:// or https://, a host, an optional port, a path; at most 2048
// bytes; no user info, whitespace or control characters.
//
// ResolveCallbackHost resolves the host and refuses, unless `allow_private`, any address a
// caller outside the cluster should not make the scheduler reach: loopback, private
// (10/8, 172.16/12, 192.168/16, fc00::/7), link-local (169.254/16 with cloud metadata
// services, fe80::/10), carrier-grade NAT (100.64/10), unspecified and multicast. The sender
// then connects to the address it checked, not to a second lookup.
//
// Thread-safety: pure functions (and getaddrinfo).
#pragma once

#include <sys/socket.h>

#include <string>
#include <string_view>

#include "common/limits.h"
#include "common/status.h"

namespace tailor::scheduler {

struct CallbackTarget {
  std::string scheme;  // "http" or "https"
  std::string host;    // a name, an IPv4 address, or an IPv6 address without brackets
  int port = 0;        // 80 or 443 when the URL has none
  std::string path;    // "/..." with the query, "/" when the URL has none
  // "scheme://host:port" (brackets around an IPv6 host), as httplib takes it.
  std::string Origin() const;
};

// INVALID_ARGUMENT naming `field` for a URL that is not one.
Result<CallbackTarget> ParseCallbackUrl(std::string_view url, const std::string& field);

// Whether an address is one a callback may not reach unless private addresses are allowed.
bool IsPrivateAddress(const sockaddr* address);

// The address to connect to (numeric), or FAILED_PRECONDITION for a host that resolves to a
// private address (while !allow_private) and UNAVAILABLE for one that does not resolve.
Result<std::string> ResolveCallbackHost(const std::string& host, bool allow_private);

}  // namespace tailor::scheduler
