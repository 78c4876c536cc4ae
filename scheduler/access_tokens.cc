#include "scheduler/access_tokens.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cctype>

#include "common/hmac.h"
#include "common/names.h"

namespace tailor::scheduler {
namespace {

constexpr std::string_view kPrefix = "tailor_";
constexpr size_t kIdHexChars = 16;
constexpr size_t kSecretBytes = 32;
constexpr size_t kSecretChars = 43;  // base64url of 32 bytes, unpadded

Result<std::string> RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    return InternalError("no random bytes for a token");
  }
  return out;
}

std::string Base64Url(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(buffer >> bits) & 0x3f];
    }
  }
  if (bits > 0) out += kAlphabet[(buffer << (6 - bits)) & 0x3f];
  return out;
}

std::string Sha256(std::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

struct ParsedBearer {
  std::string_view id;
  std::string_view secret;
};

std::optional<ParsedBearer> ParseBearer(std::string_view bearer) {
  if (bearer.size() != kPrefix.size() + kIdHexChars + 1 + kSecretChars ||
      bearer.substr(0, kPrefix.size()) != kPrefix) {
    return std::nullopt;
  }
  ParsedBearer p{bearer.substr(kPrefix.size(), kIdHexChars),
                 bearer.substr(kPrefix.size() + kIdHexChars + 1)};
  if (bearer[kPrefix.size() + kIdHexChars] != '_') return std::nullopt;
  for (char c : p.id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
  }
  return p;
}

std::string UpperHex(std::string_view bytes) {
  std::string hex = ToHex(bytes);
  for (char& c : hex) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return hex;
}

constexpr std::string_view kAwsKeyPrefix = "AKTL";

Identity IdentityOf(const AccessTokens::Token& t) {
  Identity id;
  id.kind = Identity::Kind::kCaller;
  id.name = t.name;
  id.role = t.role;
  id.tenant = t.tenant;
  return id;
}

}  // namespace

Result<std::unique_ptr<AccessTokens>> AccessTokens::Open(const std::string& db_path,
                                                         const Clock& clock) {
  TAILOR_ASSIGN_OR_RETURN(auto db, SqliteDb::Open(db_path));
  std::unique_ptr<AccessTokens> tokens(new AccessTokens(std::move(db), clock));
  TAILOR_RETURN_IF_ERROR(tokens->Load());
  return tokens;
}

Status AccessTokens::Load() {
  TAILOR_ASSIGN_OR_RETURN(
      auto q, db_->Prepare("SELECT id, name, role, tenant, secret_sha256, created_unix_ms, "
                           "COALESCE(revoked_unix_ms, 0), COALESCE(aws_key_id, ''), "
                           "COALESCE(aws_secret, '') FROM access_tokens"));
  std::unique_lock lock(mu_);
  while (true) {
    TAILOR_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    Stored s;
    s.token.id = q.ColumnText(0);
    s.token.name = q.ColumnText(1);
    auto role = ParseRole(q.ColumnText(2));
    if (!role.ok()) return DataLossError("token " + s.token.id + " has an unknown role");
    s.token.role = *role;
    s.token.tenant = q.ColumnText(3);
    s.secret_sha256 = q.ColumnText(4);
    s.token.created_unix_ms = q.ColumnInt64(5);
    s.token.revoked_unix_ms = q.ColumnInt64(6);
    s.token.aws_key_id = q.ColumnText(7);
    s.aws_secret = q.ColumnText(8);
    if (!s.token.aws_key_id.empty()) id_by_aws_key_[s.token.aws_key_id] = s.token.id;
    by_id_.emplace(s.token.id, std::move(s));
  }
  return OkStatus();
}

Result<AccessTokens::Created> AccessTokens::Create(std::string_view name, Role role,
                                                   std::string_view tenant, bool aws_access_key) {
  TAILOR_RETURN_IF_ERROR(CheckName(NameKind::kId, name, "token name"));
  TAILOR_RETURN_IF_ERROR(CheckName(NameKind::kTenant, tenant, "tenant"));
  TAILOR_ASSIGN_OR_RETURN(const std::string id_bytes, RandomBytes(kIdHexChars / 2));
  TAILOR_ASSIGN_OR_RETURN(const std::string secret_bytes, RandomBytes(kSecretBytes));
  Stored s;
  s.token = Token{ToHex(id_bytes),
                  std::string(name),
                  role,
                  std::string(tenant),
                  ToUnixMillis(clock_.WallNow()),
                  0,
                  ""};
  const std::string secret = Base64Url(secret_bytes);
  s.secret_sha256 = Sha256(secret);
  if (aws_access_key) {
    TAILOR_ASSIGN_OR_RETURN(const std::string key_bytes, RandomBytes(8));
    TAILOR_ASSIGN_OR_RETURN(const std::string aws_secret_bytes, RandomBytes(30));
    s.token.aws_key_id = std::string(kAwsKeyPrefix) + UpperHex(key_bytes);
    s.aws_secret = Base64Url(aws_secret_bytes);  // 40 characters, as AWS's are
  }
  std::lock_guard write(write_mu_);
  {
    std::shared_lock lock(mu_);
    for (const auto& [id, other] : by_id_) {
      if (other.token.revoked_unix_ms == 0 && other.token.name == name) {
        return AlreadyExistsError("a live token is already named " + Excerpt(name));
      }
    }
  }
  TAILOR_ASSIGN_OR_RETURN(
      auto ins, db_->Prepare("INSERT INTO access_tokens (id, name, role, tenant, secret_sha256, "
                             "created_unix_ms, aws_key_id, aws_secret) "
                             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULLIF(?7, ''), NULLIF(?8, ''))"));
  ins.Bind(1, s.token.id)
      .Bind(2, s.token.name)
      .Bind(3, RoleName(role))
      .Bind(4, s.token.tenant)
      .BindBlob(5, s.secret_sha256)
      .Bind(6, s.token.created_unix_ms)
      .Bind(7, s.token.aws_key_id)
      .Bind(8, s.aws_secret);
  TAILOR_RETURN_IF_ERROR(ins.Run());
  Created created{s.token, std::string(kPrefix) + s.token.id + "_" + secret, s.aws_secret};
  std::unique_lock lock(mu_);
  if (!s.token.aws_key_id.empty()) id_by_aws_key_[s.token.aws_key_id] = s.token.id;
  by_id_.emplace(s.token.id, std::move(s));
  return created;
}

std::vector<AccessTokens::Token> AccessTokens::List(bool include_revoked) const {
  std::vector<Token> out;
  std::shared_lock lock(mu_);
  for (const auto& [id, s] : by_id_) {
    if (include_revoked || s.token.revoked_unix_ms == 0) out.push_back(s.token);
  }
  return out;
}

Result<AccessTokens::Token> AccessTokens::Revoke(std::string_view id_or_name) {
  std::lock_guard write(write_mu_);
  std::string id;
  {
    std::shared_lock lock(mu_);
    for (const auto& [key, s] : by_id_) {
      if (s.token.revoked_unix_ms == 0 && (key == id_or_name || s.token.name == id_or_name)) {
        id = key;
        break;
      }
    }
  }
  if (id.empty()) return NotFoundError("no live token " + Excerpt(id_or_name));
  const int64_t now = ToUnixMillis(clock_.WallNow());
  TAILOR_ASSIGN_OR_RETURN(
      auto upd, db_->Prepare("UPDATE access_tokens SET revoked_unix_ms = ?1 WHERE id = ?2"));
  upd.Bind(1, now).Bind(2, id);
  TAILOR_RETURN_IF_ERROR(upd.Run());
  std::unique_lock lock(mu_);
  Stored& s = by_id_.at(id);
  s.token.revoked_unix_ms = now;
  return s.token;
}

Result<AccessTokens::AwsKey> AccessTokens::FindAwsKey(std::string_view key_id) const {
  std::shared_lock lock(mu_);
  auto by_key = id_by_aws_key_.find(key_id);
  if (by_key == id_by_aws_key_.end()) {
    return UnauthenticatedError("unknown access key " + Excerpt(key_id, 32));
  }
  const Stored& s = by_id_.at(by_key->second);
  if (s.token.revoked_unix_ms != 0) {
    return UnauthenticatedError("the token of access key " + s.token.aws_key_id + " was revoked");
  }
  return AwsKey{IdentityOf(s.token), s.aws_secret};
}

Result<Identity> AccessTokens::Verify(std::string_view bearer) const {
  const auto parsed = ParseBearer(bearer);
  if (!parsed) return UnauthenticatedError("malformed bearer token");
  const std::string digest = Sha256(parsed->secret);
  std::shared_lock lock(mu_);
  auto it = by_id_.find(parsed->id);
  if (it == by_id_.end() || it->second.secret_sha256.size() != digest.size() ||
      CRYPTO_memcmp(it->second.secret_sha256.data(), digest.data(), digest.size()) != 0) {
    return UnauthenticatedError("unknown bearer token " + std::string(parsed->id));
  }
  const Token& t = it->second.token;
  if (t.revoked_unix_ms != 0) return UnauthenticatedError("token " + t.id + " was revoked");
  return IdentityOf(t);
}

size_t AccessTokens::CountLive() const {
  std::shared_lock lock(mu_);
  size_t n = 0;
  for (const auto& [id, s] : by_id_) n += s.token.revoked_unix_ms == 0;
  return n;
}

}  // namespace tailor::scheduler
