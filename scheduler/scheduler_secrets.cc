#include "scheduler/scheduler_secrets.h"

#include <openssl/rand.h>

namespace tailor::scheduler {

Result<std::string> LoadOrCreateSecret(SqliteDb& db, std::string_view name) {
  std::string secret;
  TAILOR_RETURN_IF_ERROR(db.InTransaction([&]() -> Status {
    TAILOR_ASSIGN_OR_RETURN(auto q,
                            db.Prepare("SELECT value FROM scheduler_secrets WHERE name = ?1"));
    q.Bind(1, std::string(name));
    TAILOR_ASSIGN_OR_RETURN(bool row, q.Step());
    if (row) {
      secret = q.ColumnText(0);
      return OkStatus();
    }
    q.Reset();
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof(bytes)) != 1) return InternalError("no random bytes for a key");
    secret.assign(reinterpret_cast<const char*>(bytes), sizeof(bytes));
    TAILOR_ASSIGN_OR_RETURN(
        auto ins, db.Prepare("INSERT INTO scheduler_secrets (name, value) VALUES (?1, ?2)"));
    ins.Bind(1, std::string(name)).BindBlob(2, secret);
    return ins.Run();
  }));
  if (secret.empty()) {
    return DataLossError("the stored secret '" + std::string(name) + "' is empty");
  }
  return secret;
}

}  // namespace tailor::scheduler
