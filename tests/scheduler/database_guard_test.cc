#include "scheduler/database_guard.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "common/file_util.h"
#include "scheduler/schema.h"
#include "tests/support/temp_dir.h"

namespace tailor::scheduler {
namespace {

using ::testing::HasSubstr;

class DatabaseGuardTest : public ::testing::Test {
 protected:
  std::string Path() const { return dir_.File("scheduler.db"); }
  int64_t ApplicationId(SqliteDb& db) {
    auto q = db.Prepare("PRAGMA application_id").value();
    EXPECT_TRUE(*q.Step());
    return q.ColumnInt64(0);
  }
  tailor::testing::TempDir dir_;
};

TEST_F(DatabaseGuardTest, ANewClusterGetsAMarkedMigratedDatabase) {
  auto db = OpenSchedulerDatabase(Path(), false);
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_EQ(ApplicationId(**db), kSchedulerApplicationId);
  EXPECT_EQ(*(*db)->SchemaVersion(), static_cast<int64_t>(SchedulerMigrations().size()));
  db->reset();
  EXPECT_TRUE(OpenSchedulerDatabase(Path(), false).ok()) << "and opens again";
}

TEST_F(DatabaseGuardTest, AnEmptyFileIsRefusedUnlessToldToStartANewCluster) {
  dir_.Write("scheduler.db", "");
  auto refused = OpenSchedulerDatabase(Path(), false);
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("is empty"));
  EXPECT_THAT(refused.status().message(), HasSubstr("--init"));
  EXPECT_EQ(ReadFile(Path())->size(), 0u) << "nothing was written";
  auto initialised = OpenSchedulerDatabase(Path(), true);
  ASSERT_TRUE(initialised.ok()) << initialised.status();
  EXPECT_EQ(ApplicationId(**initialised), kSchedulerApplicationId);
}

TEST_F(DatabaseGuardTest, FilesOfOtherProgramsAreNeverTakenOverEvenWithInit) {
  dir_.Write("scheduler.db", std::string(8192, 'x'));
  auto garbage = OpenSchedulerDatabase(Path(), true);
  EXPECT_EQ(garbage.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(garbage.status().message(), HasSubstr("cannot be read"));
  EXPECT_EQ(*ReadFile(Path()), std::string(8192, 'x'));

  const std::string other = dir_.File("other.db");
  {
    auto db = SqliteDb::Open(other).value();
    ASSERT_TRUE(db->Exec("CREATE TABLE invoices (id INTEGER)").ok());
  }
  auto foreign = OpenSchedulerDatabase(other, true);
  EXPECT_EQ(foreign.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(foreign.status().message(), HasSubstr("not a Tailor scheduler database"));

  const std::string app = dir_.File("app.db");
  {
    auto db = SqliteDb::Open(app).value();
    ASSERT_TRUE(db->Exec("PRAGMA application_id=1234").ok());
    ASSERT_TRUE(db->Exec("PRAGMA user_version=3").ok());
  }
  EXPECT_THAT(OpenSchedulerDatabase(app, true).status().message(), HasSubstr("1234"));
}

TEST_F(DatabaseGuardTest, ADatabaseFromBeforeTheMarkIsAcceptedAndMarked) {
  {
    auto db = SqliteDb::Open(Path()).value();
    ASSERT_TRUE(db->Migrate(SchedulerMigrations().first(6)).ok());
  }
  auto db = OpenSchedulerDatabase(Path(), false);
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_EQ(ApplicationId(**db), kSchedulerApplicationId);
}

TEST_F(DatabaseGuardTest, ADamagedDatabaseIsRefusedAsDataLoss) {
  {
    auto db = OpenSchedulerDatabase(Path(), false).value();
    ASSERT_TRUE(db->Exec("CREATE TABLE filler (x BLOB)").ok());
    for (int i = 0; i < 64; ++i) {
      ASSERT_TRUE(db->Exec("INSERT INTO filler VALUES (randomblob(3000))").ok());
    }
  }  // closing checkpoints the WAL into the file
  // Scribble over every page after the first two, as a bad disk or a stray write might.
  const int fd = ::open(Path().c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  const std::string junk(4096 * 8, '\x5a');
  ASSERT_EQ(::pwrite(fd, junk.data(), junk.size(), 4096 * 2), static_cast<ssize_t>(junk.size()));
  ::close(fd);
  auto damaged = OpenSchedulerDatabase(Path(), false);
  EXPECT_EQ(damaged.status().code(), StatusCode::kDataLoss) << damaged.status();
  EXPECT_THAT(damaged.status().message(), HasSubstr("damaged"));
}

}  // namespace
}  // namespace tailor::scheduler
