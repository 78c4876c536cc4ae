#include "scheduler/decision_ids.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <cstdlib>

#include "common/random_id.h"
#include "scheduler/scheduler_secrets.h"

namespace tailor::scheduler {
namespace {

constexpr size_t kRandomHex = 32;
constexpr size_t kTagHex = 16;
constexpr char kKeyName[] = "decision_id_key";

std::string Hex(const unsigned char* bytes, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 0xf];
  }
  return out;
}

}  // namespace

Result<std::string> DecisionIds::LoadOrCreateKey(SqliteDb& db) {
  return LoadOrCreateSecret(db, kKeyName);
}

// An HMAC-SHA256 context keyed once; EVP_MAC_init with no key re-arms it with the same key.
struct DecisionIds::Mac {
  EVP_MAC* mac = nullptr;
  EVP_MAC_CTX* ctx = nullptr;
  ~Mac() {
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
  }
};

DecisionIds::DecisionIds(std::string key) : mac_(std::make_unique<Mac>()) {
  mac_->mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  mac_->ctx = mac_->mac != nullptr ? EVP_MAC_CTX_new(mac_->mac) : nullptr;
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_END};
  if (mac_->ctx == nullptr ||
      EVP_MAC_init(mac_->ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                   params) != 1) {
    // OpenSSL without HMAC-SHA256 is a broken installation, not a state to run in.
    std::abort();
  }
}

DecisionIds::~DecisionIds() = default;

std::string DecisionIds::Tag(std::string_view random_part) const {
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t mac_len = 0;
  std::lock_guard lock(mu_);
  if (EVP_MAC_init(mac_->ctx, nullptr, 0, nullptr) != 1 ||
      EVP_MAC_update(mac_->ctx, reinterpret_cast<const unsigned char*>(random_part.data()),
                     random_part.size()) != 1 ||
      EVP_MAC_final(mac_->ctx, mac, &mac_len, sizeof(mac)) != 1 || mac_len < kTagHex / 2) {
    std::abort();  // as above: the context was valid when made
  }
  return Hex(mac, kTagHex / 2);
}

std::string DecisionIds::Issue() const {
  std::string id = RandomId();
  const std::string tag = Tag(id);
  id += '-';
  id += tag;
  return id;
}

bool DecisionIds::IssuedHere(std::string_view id) const {
  if (id.size() != kRandomHex + 1 + kTagHex || id[kRandomHex] != '-') return false;
  const std::string expected = Tag(id.substr(0, kRandomHex));
  return CRYPTO_memcmp(expected.data(), id.data() + kRandomHex + 1, kTagHex) == 0;
}

}  // namespace tailor::scheduler
