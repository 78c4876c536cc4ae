// HmacSha256Hex: HMAC-SHA256 of a message, as 64 lowercase hex characters (OpenSSL's one-shot
// HMAC; for hot paths that sign many messages with one key, key an EVP_MAC context once, as
// scheduler/decision_ids.cc does).
//
// Thread-safety: a pure function.
#pragma once

#include <string>
#include <string_view>

namespace tailor {

std::string HmacSha256Hex(std::string_view key, std::string_view message);
// The same as 32 raw bytes (to key a further HMAC, as AWS Signature Version 4 chains them).
std::string HmacSha256(std::string_view key, std::string_view message);
// Lowercase hex of the bytes.
std::string ToHex(std::string_view bytes);

}  // namespace tailor
