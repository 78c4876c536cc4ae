#include "common/sqlite_db.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace tailor {
namespace {

constexpr std::string_view kV1[] = {"CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL);"};
constexpr std::string_view kV2[] = {
    "CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL);",
    "ALTER TABLE t ADD COLUMN note TEXT NOT NULL DEFAULT '';",
};

TEST(SqliteDbTest, OpensInWalModeAndMigratesOnce) {
  testing::TempDir dir;
  auto db = SqliteDb::Open(dir.File("a.db"));
  ASSERT_TRUE(db.ok()) << db.status();
  {
    auto mode = (*db)->Prepare("PRAGMA journal_mode");
    ASSERT_TRUE(mode.ok());
    ASSERT_TRUE(*mode->Step());
    EXPECT_EQ(mode->ColumnText(0), "wal");
  }  // a statement left mid-result would block the migration's COMMIT

  ASSERT_TRUE((*db)->Migrate(kV1).ok());
  EXPECT_EQ(*(*db)->SchemaVersion(), 1);
  ASSERT_TRUE((*db)->Migrate(kV1).ok());  // already applied: no "table exists" error
  ASSERT_TRUE((*db)->Migrate(kV2).ok());
  EXPECT_EQ(*(*db)->SchemaVersion(), 2);
}

TEST(SqliteDbTest, DataSurvivesReopen) {
  testing::TempDir dir;
  {
    auto db = SqliteDb::Open(dir.File("a.db"));
    ASSERT_TRUE((*db)->Migrate(kV1).ok());
    auto ins = (*db)->Prepare("INSERT INTO t (k, v) VALUES (?1, ?2)");
    ASSERT_TRUE(ins.ok());
    ins->Bind(1, std::string_view("x")).Bind(2, int64_t{7});
    ASSERT_TRUE(ins->Run().ok());
  }
  auto db = SqliteDb::Open(dir.File("a.db"));
  auto sel = (*db)->Prepare("SELECT v FROM t WHERE k='x'");
  ASSERT_TRUE(*sel->Step());
  EXPECT_EQ(sel->ColumnInt64(0), 7);
}

TEST(SqliteDbTest, NewerSchemaIsRefused) {
  testing::TempDir dir;
  {
    auto db = SqliteDb::Open(dir.File("a.db"));
    ASSERT_TRUE((*db)->Migrate(kV2).ok());
  }
  auto db = SqliteDb::Open(dir.File("a.db"));
  Status s = (*db)->Migrate(kV1);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
}

TEST(SqliteDbTest, FailedTransactionRollsBack) {
  testing::TempDir dir;
  auto db = SqliteDb::Open(dir.File("a.db"));
  ASSERT_TRUE((*db)->Migrate(kV1).ok());
  Status s = (*db)->InTransaction([&]() -> Status {
    TAILOR_RETURN_IF_ERROR((*db)->Exec("INSERT INTO t VALUES ('a', 1)"));
    return (*db)->Exec("INSERT INTO t VALUES ('a', 2)");  // primary key conflict
  });
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
  auto count = (*db)->Prepare("SELECT COUNT(*) FROM t");
  ASSERT_TRUE(*count->Step());
  EXPECT_EQ(count->ColumnInt64(0), 0);
}

TEST(SqliteDbTest, BadSqlIsAnErrorNotACrash) {
  testing::TempDir dir;
  auto db = SqliteDb::Open(dir.File("a.db"));
  EXPECT_FALSE((*db)->Prepare("SELEKT 1").ok());
  EXPECT_FALSE((*db)->Exec("DROP TABLE missing").ok());
}

}  // namespace
}  // namespace tailor
