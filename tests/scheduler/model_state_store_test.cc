// The models' saved state lives in a file of its own: saving it never waits for, or holds,
// scheduler.db's write lock; what earlier versions saved in scheduler.db moves over; a file
// that cannot be read is set aside and the models relearned, never a scheduler that cannot
// start.
#include "scheduler/model_state_store.h"

#include <gtest/gtest.h>

#include "common/clock.h"
#include "common/file_util.h"
#include "scheduler/database_guard.h"
#include "tests/support/temp_dir.h"

namespace tailor::scheduler {
namespace {

class ModelStateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(OpenSchedulerDatabase(SchedulerDb(), true).ok()); }
  std::string SchedulerDb() const { return dir_.File("scheduler.db"); }
  std::string ModelsDb() const { return dir_.File("models.db"); }
  Result<std::unique_ptr<ModelStateStore>> Open() {
    return ModelStateStore::Open(ModelsDb(), SchedulerDb(), clock_);
  }
  // Rows of scheduler.db's model_state table.
  int64_t RowsInSchedulerDb() {
    auto db = SqliteDb::Open(SchedulerDb()).value();
    auto q = db->Prepare("SELECT count(*) FROM model_state").value();
    EXPECT_TRUE(*q.Step());
    return q.ColumnInt64(0);
  }
  tailor::testing::TempDir dir_;
  SimulatedClock clock_;
  // A state is binary: zero bytes and all.
  const std::map<std::string, std::string> states_ = {
      {"performance", std::string("perf\0state", 10)}, {"efficiency", std::string(70'000, '\x7f')}};
};

TEST_F(ModelStateStoreTest, WhatIsSavedLoadsAgainFromTheModelsOwnFile) {
  {
    auto store = Open();
    ASSERT_TRUE(store.ok()) << store.status();
    EXPECT_TRUE((*store)->Load()->empty());
    ASSERT_TRUE((*store)->Save(states_, 42).ok());
  }
  auto store = Open();
  ASSERT_TRUE(store.ok()) << store.status();
  auto loaded = (*store)->Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->size(), 2u);
  EXPECT_TRUE(loaded->at("performance").state == states_.at("performance"));
  EXPECT_TRUE(loaded->at("efficiency").state == states_.at("efficiency"));
  EXPECT_EQ(loaded->at("efficiency").runs_rowid, 42);
  EXPECT_EQ(RowsInSchedulerDb(), 0);
}

TEST_F(ModelStateStoreTest, ASaveNeedsNoLockOfSchedulerDb) {
  auto store = Open();
  ASSERT_TRUE(store.ok()) << store.status();
  // Another connection holds scheduler.db's write lock (as a long insert would) for the
  // whole save: in scheduler.db the save would wait for it (and fail after the busy timeout).
  auto writer = SqliteDb::Open(SchedulerDb()).value();
  ASSERT_TRUE(writer->Exec("BEGIN IMMEDIATE").ok());
  EXPECT_TRUE((*store)->Save(states_, 7).ok());
  ASSERT_TRUE(writer->Exec("COMMIT").ok());
  EXPECT_EQ((*store)->Load()->size(), 2u);
}

TEST_F(ModelStateStoreTest, StatesAnEarlierVersionSavedInSchedulerDbMoveOver) {
  {
    auto db = SqliteDb::Open(SchedulerDb()).value();
    auto q = db->Prepare(
                   "INSERT INTO model_state (policy, state, runs_rowid, saved_unix_ms) "
                   "VALUES (?1, ?2, 9, 1)")
                 .value();
    ASSERT_TRUE(q.Bind(1, "performance").BindBlob(2, states_.at("performance")).Run().ok());
  }
  auto store = Open();
  ASSERT_TRUE(store.ok()) << store.status();
  auto loaded = (*store)->Load();
  ASSERT_EQ(loaded->size(), 1u);
  EXPECT_TRUE(loaded->at("performance").state == states_.at("performance"));
  EXPECT_EQ(loaded->at("performance").runs_rowid, 9);
  EXPECT_EQ(RowsInSchedulerDb(), 0) << "moved, not copied: tens of MB each";
}

TEST_F(ModelStateStoreTest, AnUnreadableFileIsSetAsideAndTheModelsRelearned) {
  const std::string garbage(8192, 'x');
  dir_.Write("models.db", garbage);
  auto store = Open();
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_TRUE((*store)->Load()->empty());
  EXPECT_TRUE((*store)->Save(states_, 3).ok());
  auto files = ListDirectory(dir_.path());
  ASSERT_TRUE(files.ok());
  int aside = 0;
  for (const auto& name : *files) {
    if (name.rfind("models.db.unreadable-", 0) != 0) continue;
    ++aside;
    EXPECT_EQ(*ReadFile(dir_.File(name)), garbage) << "kept as it was";
  }
  EXPECT_EQ(aside, 1);

  // Another program's database is set aside too, never written into.
  store->reset();
  ASSERT_TRUE(RemoveTreeInside(dir_.path(), ModelsDb()).ok());
  {
    auto other = SqliteDb::Open(ModelsDb()).value();
    ASSERT_TRUE(other->Exec("CREATE TABLE invoices (id INTEGER)").ok());
  }
  clock_.Advance(std::chrono::seconds(1));
  store = Open();
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_TRUE((*store)->Load()->empty());
  aside = 0;
  files = ListDirectory(dir_.path());
  ASSERT_TRUE(files.ok());
  for (const auto& name : *files) {
    aside += name.rfind("models.db.unreadable-", 0) == 0 && name.find('-', 21) == std::string::npos;
  }
  EXPECT_EQ(aside, 2);
}

}  // namespace
}  // namespace tailor::scheduler
