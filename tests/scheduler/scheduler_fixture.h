// Shared set-up for scheduler unit tests: a migrated SQLite file in a temp dir, a simulated
// clock, and helpers that make bundle archives and node registrations.
#pragma once

#include <sys/stat.h>

#include <string>

#include "common/bundle_archive.h"
#include "common/clock.h"
#include "common/sqlite_db.h"
#include "scheduler/schema.h"
#include "tailor/v1/membership.pb.h"
#include "tailor/v1/run_report.pb.h"
#include "tests/support/temp_dir.h"

namespace tailor::scheduler::testing {

inline constexpr uint64_t kGiB = 1ull << 30;

// A bundle archive with a shell-script entrypoint.
inline std::string MakeBundle(const tailor::testing::TempDir& dir, const std::string& name,
                              const std::string& version, const std::string& extra_toml = "",
                              const std::string& script = "#!/bin/sh\ncat\n") {
  const std::string src = "src-" + name + "-" + version;
  dir.Write(src + "/tailor.toml", "name = '" + name + "'\nversion = '" + version +
                                      "'\nentrypoint = 'run.sh'\n" + extra_toml);
  dir.Write(src + "/run.sh", script);
  ::chmod(dir.File(src + "/run.sh").c_str(), 0755);
  return *PackBundle(dir.File(src));
}

inline v1::RegisterRequest NodeWith(const std::string& id, uint32_t cores, uint64_t memory,
                                    std::initializer_list<const char*> features = {"aes"}) {
  v1::RegisterRequest r;
  r.set_node_id(id);
  r.set_address("127.0.0.1:1");
  auto* inv = r.mutable_inventory();
  inv->mutable_topology()->set_logical_cores(cores);
  inv->set_memory_bytes(memory);
  inv->mutable_cpu()->set_model_name("Test CPU");
  for (const char* f : features) (*inv->mutable_cpu_features())[f] = true;
  return r;
}

// A run report that passes every check: `wall_us` of wall time ending at `end_unix_ms`, half
// of it CPU time, a 64 MiB peak, exit 0.
inline v1::RunReport GoodReport(const std::string& invocation_id, const std::string& function,
                                const std::string& node_id, int64_t end_unix_ms,
                                int64_t wall_us = 10'000) {
  v1::RunReport r;
  r.set_invocation_id(invocation_id);
  r.set_function_name(function);
  r.set_node_id(node_id);
  r.set_outcome(v1::RUN_OUTCOME_SUCCEEDED);
  r.set_wall_time_us(wall_us);
  r.set_user_cpu_us(wall_us / 2);
  r.set_end_unix_ms(end_unix_ms);
  r.set_start_unix_ms(end_unix_ms - wall_us / 1000);
  r.set_peak_memory_bytes(64ull << 20);
  return r;
}

class SchedulerDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_path_ = dir_.File("scheduler.db");
    auto db = SqliteDb::Open(db_path_);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Migrate(SchedulerMigrations()).ok());
  }
  tailor::testing::TempDir dir_;
  std::string db_path_;
  SimulatedClock clock_;
};

}  // namespace tailor::scheduler::testing
