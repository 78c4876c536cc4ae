// DecisionIds: placement decision ids that this scheduler can recognise later, after it has
// forgotten the decision itself (it keeps only the newest in memory) and across restarts.
//
// An id is 32 hex characters of randomness, '-', and 16 hex characters of HMAC-SHA256 of the
// randomness under the scheduler's own key (kept in its database, made at first start). A
// report that names a decision id which does not verify was not issued here and is refused;
// one that verifies but is no longer kept (older, or from before a restart) is accepted.
//
// Cost: one HMAC per id on a context made once (re-keying per call, as OpenSSL's one-shot HMAC()
// does, cost 2 us a decision; docs/benchmarks.md).
//
// Thread-safety: Issue and IssuedHere may be called concurrently (one mutex around the context).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/sqlite_db.h"
#include "common/status.h"

namespace tailor::scheduler {

class DecisionIds {
 public:
  // `key`: any length, 32 random bytes in practice.
  explicit DecisionIds(std::string key);
  ~DecisionIds();

  // The key in the scheduler's database (table scheduler_secrets), made on first use.
  static Result<std::string> LoadOrCreateKey(SqliteDb& db);

  std::string Issue() const;
  bool IssuedHere(std::string_view id) const;

 private:
  std::string Tag(std::string_view random_part) const;
  struct Mac;
  mutable std::mutex mu_;
  std::unique_ptr<Mac> mac_;  // guarded by mu_
};

}  // namespace tailor::scheduler
