// SigV4: verifies requests signed with AWS Signature Version 4 (the Authorization header form,
// "AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/SERVICE/aws4_request, SignedHeaders=...,
// Signature=..."), as the AWS CLI and SDKs sign them for a service other than S3:
//
//   canonical request = METHOD \n URI \n QUERY \n HEADERS \n SIGNED-HEADERS \n hex(sha256(body))
//     URI: the path as sent, dot segments and empty segments removed, then every byte but
//          A-Z a-z 0-9 - _ . ~ / percent-encoded (so a path sent encoded is encoded twice)
//     QUERY: each name and value decoded, encoded as above (with '/' encoded too), sorted; a
//          broken %-escape is INVALID_ARGUMENT
//     HEADERS: each signed header, lower-cased, its values trimmed with runs of spaces made one,
//          repeated headers joined with ','; "name:value\n" each, sorted by name
//   string to sign = "AWS4-HMAC-SHA256\n" X-Amz-Date "\n" scope "\n" hex(sha256(canonical))
//   key = HMAC chain over "AWS4" + secret, date, region, service, "aws4_request"
//
// Checked besides the signature (compared in constant time): the host and x-amz-date headers
// are signed, the scope's date is X-Amz-Date's, the request time is within 15 minutes of now,
// the service is the one expected, and an X-Amz-Content-SHA256 header, if any, is the body's
// digest (unsigned payloads are refused).
//
// Errors: malformed headers are INVALID_ARGUMENT naming the header; a signature or time that
// does not check out is UNAUTHENTICATED with ErrorReason::kBadSignature.
//
// Pure: no I/O; `now` is passed in. Thread-safety: stateless.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace tailor::scheduler {

struct SigV4Request {
  std::string_view method;
  std::string_view target;  // the request-target as received: path, then ?query if any
  std::vector<std::pair<std::string, std::string>> headers;  // as received, any case
  std::string_view body;
};

struct SigV4Authorization {
  std::string key_id;
  std::string date;  // YYYYMMDD
  std::string region;
  std::string service;
  std::vector<std::string> signed_headers;  // lower case, as listed
  std::string signature;                    // 64 lower-case hex characters
};

inline constexpr std::string_view kSigV4Algorithm = "AWS4-HMAC-SHA256";

bool IsSigV4Authorization(std::string_view authorization_header);
Result<SigV4Authorization> ParseSigV4Authorization(std::string_view authorization_header);

Status VerifySigV4(const SigV4Request& request, const SigV4Authorization& auth,
                   std::string_view secret, WallTime now, std::string_view service);

// The signature `secret` makes for `request` under `auth`'s scope and signed headers (what a
// client computes; tests sign with it, and VerifySigV4 compares against it).
Result<std::string> SignSigV4(const SigV4Request& request, const SigV4Authorization& auth,
                              std::string_view secret);

}  // namespace tailor::scheduler
