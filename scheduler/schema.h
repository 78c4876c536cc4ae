// The scheduler database's schema, as an ordered list of migrations. Append only: a released
// migration is never edited; a change is a new entry. SqliteDb::Migrate applies what is new.
#pragma once

#include <span>
#include <string_view>

namespace tailor::scheduler {

std::span<const std::string_view> SchedulerMigrations();

}  // namespace tailor::scheduler
