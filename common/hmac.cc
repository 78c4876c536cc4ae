#include "common/hmac.h"

#include <openssl/evp.h>

#include <cstdlib>

namespace tailor {

std::string ToHex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

std::string HmacSha256(std::string_view key, std::string_view message) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t mac_len = 0;
  char digest[] = "SHA256";
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, digest, nullptr, key.data(), key.size(),
                reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac,
                sizeof(mac), &mac_len) == nullptr) {
    std::abort();  // OpenSSL without HMAC-SHA256 is a broken installation, not a state to run in
  }
  return std::string(reinterpret_cast<const char*>(mac), mac_len);
}

std::string HmacSha256Hex(std::string_view key, std::string_view message) {
  return ToHex(HmacSha256(key, message));
}

}  // namespace tailor
