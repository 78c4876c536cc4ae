// Reads a scheduler database the way the integration tests check it: which invocations have
// their run stored.
#pragma once

#include <map>
#include <set>
#include <string>

namespace tailor::testing {

// Invocation ids in the `runs` table of the SQLite file at `db_path` (empty if unreadable).
std::set<std::string> StoredInvocationIds(const std::string& db_path);
// The stored runs' outcomes (tailor.v1.RunOutcome numbers) by invocation id.
std::map<std::string, int> StoredOutcomes(const std::string& db_path);

}  // namespace tailor::testing
