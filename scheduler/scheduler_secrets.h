// Secrets the scheduler makes for itself and keeps in its database (scheduler_secrets): the
// key decision ids are signed with, and each function's callback signing key. A secret is
// made on first use from 32 random bytes and never changes after.
//
// Thread-safety: as the SqliteDb given (each call is one transaction).
#pragma once

#include <string>
#include <string_view>

#include "common/sqlite_db.h"

namespace tailor::scheduler {

// The secret named `name`, made now if there is none yet. DATA_LOSS for an empty stored one.
Result<std::string> LoadOrCreateSecret(SqliteDb& db, std::string_view name);

}  // namespace tailor::scheduler
