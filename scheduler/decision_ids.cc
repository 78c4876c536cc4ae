#include "scheduler/decision_ids.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "common/random_id.h"

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
  std::string key;
  TAILOR_RETURN_IF_ERROR(db.InTransaction([&]() -> Status {
    TAILOR_ASSIGN_OR_RETURN(auto q,
                            db.Prepare("SELECT value FROM scheduler_secrets WHERE name = ?1"));
    q.Bind(1, std::string(kKeyName));
    TAILOR_ASSIGN_OR_RETURN(bool row, q.Step());
    if (row) {
      key = q.ColumnText(0);
      return OkStatus();
    }
    q.Reset();
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof(bytes)) != 1) return InternalError("no random bytes for a key");
    key.assign(reinterpret_cast<const char*>(bytes), sizeof(bytes));
    TAILOR_ASSIGN_OR_RETURN(
        auto ins, db.Prepare("INSERT INTO scheduler_secrets (name, value) VALUES (?1, ?2)"));
    ins.Bind(1, std::string(kKeyName)).BindBlob(2, key);
    return ins.Run();
  }));
  if (key.empty()) return DataLossError("the stored decision id key is empty");
  return key;
}

std::string DecisionIds::Tag(std::string_view random_part) const {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(random_part.data()), random_part.size(), mac,
       &mac_len);
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
