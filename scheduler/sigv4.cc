#include "scheduler/sigv4.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>

#include "common/bundle_archive.h"  // Sha256Hex, IsSha256Hex
#include "common/hmac.h"
#include "scheduler/http_api.h"  // ForEachQueryParameter

namespace tailor::scheduler {
namespace {

constexpr auto kMaxSkew = std::chrono::minutes(15);

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool Unreserved(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
         c == '~';
}

std::string Encode(std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    if (Unreserved(c) || (keep_slash && c == '/')) {
      out += c;
    } else {
      const auto b = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 0xf];
    }
  }
  return out;
}

// RFC 3986 dot-segment removal, with empty segments dropped as AWS does.
std::string NormalizePath(std::string_view path) {
  std::vector<std::string_view> kept;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(start, end - start);
    if (seg == "..") {
      if (!kept.empty()) kept.pop_back();
    } else if (!seg.empty() && seg != ".") {
      kept.push_back(seg);
    }
    start = end + 1;
  }
  std::string out;
  for (auto seg : kept) out += "/" + std::string(seg);
  if (out.empty() || (path.size() > 1 && path.back() == '/')) out += "/";
  return out;
}

// Each name and value decoded, then encoded as SigV4 encodes them, sorted.
Result<std::string> CanonicalQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  TAILOR_RETURN_IF_ERROR(
      ForEachQueryParameter(query, [&](std::string name, std::string value) -> Status {
        params.emplace_back(Encode(name, false), Encode(value, false));
        return OkStatus();
      }));
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [n, v] : params) out += (out.empty() ? "" : "&") + n + "=" + v;
  return out;
}

std::string TrimValue(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

Result<std::string> CanonicalHeaders(const SigV4Request& req, const SigV4Authorization& auth) {
  std::map<std::string, std::string> values;
  for (const auto& [name, value] : req.headers) {
    const std::string key = Lower(name);
    if (std::find(auth.signed_headers.begin(), auth.signed_headers.end(), key) ==
        auth.signed_headers.end()) {
      continue;
    }
    std::string& v = values[key];
    v += (v.empty() ? "" : ",") + TrimValue(value);
  }
  std::string out;
  for (const std::string& h : auth.signed_headers) {
    auto it = values.find(h);
    if (it == values.end()) {
      return InvalidArgumentError("the signed header '" + h + "' is not in the request")
          .WithField("Authorization");
    }
    out += h + ":" + it->second + "\n";
  }
  return out;
}

std::string HeaderValue(const SigV4Request& req, std::string_view lower_name) {
  for (const auto& [name, value] : req.headers) {
    if (Lower(name) == lower_name) return value;
  }
  return "";
}

// "20261201T101500Z" as a wall time, or nullopt.
std::optional<WallTime> ParseAmzDate(std::string_view s) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
  std::tm tm{};
  auto num = [&](size_t pos, size_t n) {
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(s[i]))) return -1;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(4, 2) - 1;
  tm.tm_mday = num(6, 2);
  tm.tm_hour = num(9, 2);
  tm.tm_min = num(11, 2);
  tm.tm_sec = num(13, 2);
  if (tm.tm_year < 70 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
      tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59 || tm.tm_sec < 0 ||
      tm.tm_sec > 60) {
    return std::nullopt;
  }
  return std::chrono::system_clock::from_time_t(::timegm(&tm));
}

Status BadSignature(std::string message) {
  return UnauthenticatedError(std::move(message)).WithReason(ErrorReason::kBadSignature);
}

Status Malformed(std::string message) {
  return InvalidArgumentError("Authorization: " + std::move(message)).WithField("Authorization");
}

}  // namespace

bool IsSigV4Authorization(std::string_view header) {
  return header.starts_with(kSigV4Algorithm) && header.size() > kSigV4Algorithm.size() &&
         header[kSigV4Algorithm.size()] == ' ';
}

Result<SigV4Authorization> ParseSigV4Authorization(std::string_view header) {
  if (!IsSigV4Authorization(header)) return Malformed("not AWS4-HMAC-SHA256");
  if (header.size() > 4096) return Malformed("longer than 4096 bytes");
  std::map<std::string, std::string> parts;
  std::string_view rest = header.substr(kSigV4Algorithm.size() + 1);
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) return Malformed("expected Name=value pairs");
    parts[std::string(item.substr(0, eq))] = std::string(item.substr(eq + 1));
    rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
  }
  SigV4Authorization a;
  const std::string credential = parts["Credential"];
  std::vector<std::string> scope;
  for (size_t start = 0; start <= credential.size();) {
    size_t end = credential.find('/', start);
    if (end == std::string::npos) end = credential.size();
    scope.push_back(credential.substr(start, end - start));
    start = end + 1;
  }
  if (scope.size() != 5 || scope[4] != "aws4_request" || scope[0].empty() ||
      scope[0].size() > 128 || scope[1].size() != 8 || scope[2].empty() || scope[3].empty()) {
    return Malformed("Credential must be KEY/YYYYMMDD/REGION/SERVICE/aws4_request");
  }
  a.key_id = scope[0];
  a.date = scope[1];
  a.region = scope[2];
  a.service = scope[3];
  const std::string signed_headers = parts["SignedHeaders"];
  for (size_t start = 0; start < signed_headers.size();) {
    size_t end = signed_headers.find(';', start);
    if (end == std::string::npos) end = signed_headers.size();
    a.signed_headers.push_back(Lower(signed_headers.substr(start, end - start)));
    start = end + 1;
  }
  if (a.signed_headers.empty() || a.signed_headers.size() > 64) {
    return Malformed("SignedHeaders must list 1..64 headers");
  }
  a.signature = parts["Signature"];
  if (!IsSha256Hex(a.signature)) {  // the same shape: 64 lower-case hex digits
    return Malformed("Signature must be 64 lower-case hex characters");
  }
  return a;
}

Result<std::string> SignSigV4(const SigV4Request& req, const SigV4Authorization& auth,
                              std::string_view secret) {
  const std::string_view target = req.target;
  const size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
  TAILOR_ASSIGN_OR_RETURN(const std::string headers, CanonicalHeaders(req, auth));
  TAILOR_ASSIGN_OR_RETURN(const std::string canonical_query, CanonicalQuery(query));
  std::string signed_list;
  for (const auto& h : auth.signed_headers) signed_list += (signed_list.empty() ? "" : ";") + h;
  const std::string canonical = std::string(req.method) + "\n" + Encode(NormalizePath(path), true) +
                                "\n" + canonical_query + "\n" + headers + "\n" + signed_list +
                                "\n" + Sha256Hex(req.body);
  const std::string scope = auth.date + "/" + auth.region + "/" + auth.service + "/aws4_request";
  const std::string to_sign = std::string(kSigV4Algorithm) + "\n" + HeaderValue(req, "x-amz-date") +
                              "\n" + scope + "\n" + Sha256Hex(canonical);
  std::string key = HmacSha256("AWS4" + std::string(secret), auth.date);
  key = HmacSha256(key, auth.region);
  key = HmacSha256(key, auth.service);
  key = HmacSha256(key, "aws4_request");
  return HmacSha256Hex(key, to_sign);
}

Status VerifySigV4(const SigV4Request& req, const SigV4Authorization& auth, std::string_view secret,
                   WallTime now, std::string_view service) {
  for (std::string_view must : {"host", "x-amz-date"}) {
    if (std::find(auth.signed_headers.begin(), auth.signed_headers.end(), must) ==
        auth.signed_headers.end()) {
      return Malformed("SignedHeaders must include " + std::string(must));
    }
  }
  if (auth.service != service) {
    return BadSignature("the credential is scoped to service '" + auth.service.substr(0, 64) +
                        "', not '" + std::string(service) + "'");
  }
  const std::string amz_date = HeaderValue(req, "x-amz-date");
  const auto when = ParseAmzDate(amz_date);
  if (!when) return Malformed("X-Amz-Date must be YYYYMMDDTHHMMSSZ");
  if (amz_date.substr(0, 8) != auth.date) {
    return BadSignature("the credential's date is not the date of X-Amz-Date");
  }
  if (*when > now + kMaxSkew || *when < now - kMaxSkew) {
    return BadSignature("the request was signed at " + amz_date +
                        ", more than 15 minutes from the server's time");
  }
  const std::string content_sha = HeaderValue(req, "x-amz-content-sha256");
  if (!content_sha.empty() && content_sha != Sha256Hex(req.body)) {
    return BadSignature(
        "X-Amz-Content-SHA256 is not the body's SHA-256 (unsigned payloads are "
        "not accepted)");
  }
  TAILOR_ASSIGN_OR_RETURN(const std::string expected, SignSigV4(req, auth, secret));
  if (CRYPTO_memcmp(expected.data(), auth.signature.data(), expected.size()) != 0) {
    return BadSignature(
        "the request signature does not match: check the secret access key "
        "and the signing method");
  }
  return OkStatus();
}

}  // namespace tailor::scheduler
