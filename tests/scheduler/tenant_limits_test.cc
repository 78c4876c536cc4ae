// Per-tenant limits: invocation slots and async queue depth.
#include "scheduler/tenant_limits.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "scheduler/async_queue.h"
#include "tests/scheduler/scheduler_fixture.h"

namespace tailor::scheduler {
namespace {

using namespace std::chrono_literals;

TEST(TenantLimitsTest, ATenantAtItsLimitIsRefusedWithARetryHintWhileOthersRun) {
  TenantLimits limits({.max_concurrent_invocations = 2, .retry_after = 3s});
  auto a1 = limits.Acquire("acme");
  auto a2 = limits.Acquire("acme");
  ASSERT_TRUE(a1.ok() && a2.ok());
  auto a3 = limits.Acquire("acme");
  EXPECT_EQ(a3.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(a3.status().reason(), ErrorReason::kTenantLimit);
  EXPECT_EQ(a3.status().retry_after(), 3s);
  EXPECT_TRUE(limits.Acquire("globex").ok()) << "another tenant is not held back";
  { auto released = std::move(*a1); }
  EXPECT_EQ(limits.Running("acme"), 1u);
  EXPECT_TRUE(limits.Acquire("acme").ok());
}

TEST(TenantLimitsTest, ZeroMeansNoLimit) {
  TenantLimits limits({.max_concurrent_invocations = 0});
  std::vector<TenantLimits::Slot> slots;
  for (int i = 0; i < 100; ++i) slots.push_back(std::move(limits.Acquire("acme").value()));
  EXPECT_EQ(limits.Running("acme"), 100u);
}

class TenantQueueTest : public testing::SchedulerDbTest {};

TEST_F(TenantQueueTest, OneTenantsFullQueueDoesNotStopAnother) {
  auto q =
      AsyncQueue::Open(db_path_, clock_, {.max_pending = 100, .max_pending_per_tenant = 2}).value();
  v1::GatewayInvokeRequest req;
  req.set_function_name("f");
  ASSERT_TRUE(q->Enqueue(req, "acme").ok());
  ASSERT_TRUE(q->Enqueue(req, "acme").ok());
  auto full = q->Enqueue(req, "acme");
  EXPECT_EQ(full.status().code(), StatusCode::kResourceExhausted);
  EXPECT_GT(full.status().retry_after().count(), 0);
  auto other = q->Enqueue(req, "globex");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(q->Get(*other)->tenant(), "globex");
}

}  // namespace
}  // namespace tailor::scheduler

namespace tailor::scheduler {
namespace {

TEST(TenantLimitsTest, SlotsTakenAndReleasedOnManyThreadsNeverExceedTheLimit) {
  TenantLimits limits({.max_concurrent_invocations = 3});
  std::atomic<int> inside{0}, most{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        auto slot = limits.Acquire("acme");
        if (!slot.ok()) continue;
        const int now = inside.fetch_add(1) + 1;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        inside.fetch_sub(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(most.load(), 3);
  EXPECT_EQ(limits.Running("acme"), 0u);
}

}  // namespace
}  // namespace tailor::scheduler
