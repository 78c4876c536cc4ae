#include "scheduler/callback_target.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <charconv>
#include <memory>

namespace tailor::scheduler {
namespace {

Status Bad(const std::string& field, const std::string& why) {
  return InvalidArgumentError(field + " " + why).WithField(field);
}

bool IsPrivateV4(uint32_t a) {  // host byte order
  auto in = [a](uint32_t net, int bits) { return (a >> (32 - bits)) == (net >> (32 - bits)); };
  return in(0x00000000, 8) || in(0x0a000000, 8) || in(0x7f000000, 8) || in(0xa9fe0000, 16) ||
         in(0xac100000, 12) || in(0xc0a80000, 16) || in(0x64400000, 10) || in(0xe0000000, 4) ||
         a == 0xffffffff;
}

}  // namespace

std::string CallbackTarget::Origin() const {
  const bool v6 = host.find(':') != std::string::npos;
  return scheme + "://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<CallbackTarget> ParseCallbackUrl(std::string_view url, const std::string& field) {
  if (url.size() > kMaxCallbackUrlBytes) {
    return Bad(field, "is longer than " + std::to_string(kMaxCallbackUrlBytes) + " bytes");
  }
  for (unsigned char c : url) {
    if (c <= 0x20 || c >= 0x7f) return Bad(field, "has whitespace or a control character");
  }
  CallbackTarget t;
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos) return Bad(field, "must start with http:// or https://");
  t.scheme = std::string(url.substr(0, sep));
  if (t.scheme != "http" && t.scheme != "https") {
    return Bad(field, "must start with http:// or https://");
  }
  std::string_view rest = url.substr(sep + 3);
  const size_t path_at = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_at);
  t.path = path_at == std::string_view::npos ? "/" : std::string(rest.substr(path_at));
  if (!t.path.empty() && t.path[0] != '/') t.path = "/" + t.path;
  if (const size_t hash = t.path.find('#'); hash != std::string::npos) t.path.erase(hash);
  if (authority.find('@') != std::string_view::npos) return Bad(field, "may not hold user info");
  std::string_view port;
  if (!authority.empty() && authority[0] == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return Bad(field, "has an unclosed [ in its host");
    t.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return Bad(field, "has something after its IPv6 host");
      port = after.substr(1);
    }
  } else {
    const size_t colon = authority.rfind(':');
    t.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (t.host.empty()) return Bad(field, "has no host");
  t.port = t.scheme == "https" ? 443 : 80;
  if (!port.empty()) {
    int p = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || end != port.data() + port.size() || p < 1 || p > 65535) {
      return Bad(field, "has a port that is not 1..65535");
    }
    t.port = p;
  }
  return t;
}

bool IsPrivateAddress(const sockaddr* address) {
  if (address->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(address);
    return IsPrivateV4(ntohl(in->sin_addr.s_addr));
  }
  if (address->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address);
    const unsigned char* b = in6->sin6_addr.s6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
      return IsPrivateV4((uint32_t(b[12]) << 24) | (uint32_t(b[13]) << 16) |
                         (uint32_t(b[14]) << 8) | uint32_t(b[15]));
    }
    return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) || IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr) ||
           IN6_IS_ADDR_LINKLOCAL(&in6->sin6_addr) || IN6_IS_ADDR_MULTICAST(&in6->sin6_addr) ||
           (b[0] & 0xfe) == 0xfc;  // unique local fc00::/7
  }
  return true;  // not an internet address at all
}

Result<std::string> ResolveCallbackHost(const std::string& host, bool allow_private) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found); rc != 0) {
    return UnavailableError("cannot resolve " + host + ": " + gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owned(found, ::freeaddrinfo);
  std::string chosen;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    if (!allow_private && IsPrivateAddress(a->ai_addr)) {
      return FailedPreconditionError(
          host +
          " resolves to a private, loopback or link-local address, which callbacks may "
          "not reach (tailor-scheduler --callback-allow-private allows it)");
    }
    if (!chosen.empty()) continue;
    char text[INET6_ADDRSTRLEN] = {};
    const void* raw =
        a->ai_family == AF_INET
            ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(a->ai_addr)->sin_addr)
            : static_cast<const void*>(
                  &reinterpret_cast<const sockaddr_in6*>(a->ai_addr)->sin6_addr);
    if (::inet_ntop(a->ai_family, raw, text, sizeof(text)) != nullptr) chosen = text;
  }
  if (chosen.empty()) return UnavailableError("cannot resolve " + host + " to an address");
  return chosen;
}

}  // namespace tailor::scheduler
