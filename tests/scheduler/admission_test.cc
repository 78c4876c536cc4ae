#include "scheduler/admission.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <vector>

#include "scheduler/gateway.h"
#include "tests/support/process.h"

namespace tailor::scheduler {
namespace {

using namespace std::chrono_literals;
using tailor::testing::WaitUntil;

Status NoCapacity() {
  return ResourceExhaustedError("every node is full").WithReason(ErrorReason::kNoCapacity);
}

Admission::Deadline In(std::chrono::milliseconds d) { return std::chrono::steady_clock::now() + d; }

// A cluster of `slots` equal slots; calls take `size` of them, and record the order they got in.
class Slots {
 public:
  explicit Slots(int slots) : free_(slots) {}
  Admission::Attempt Take(const std::string& who, int size = 1) {
    return [this, who, size]() -> Status {
      std::lock_guard lock(mu_);
      ++attempts_;
      if (free_ < size) return NoCapacity();
      free_ -= size;
      order_.push_back(who);
      return OkStatus();
    };
  }
  void Free(Admission& admission, int n = 1) {
    {
      std::lock_guard lock(mu_);
      free_ += n;
    }
    admission.CapacityFreed();
  }
  std::vector<std::string> order() {
    std::lock_guard lock(mu_);
    return order_;
  }
  int attempts() {
    std::lock_guard lock(mu_);
    return attempts_;
  }

 private:
  std::mutex mu_;
  int free_;
  int attempts_ = 0;
  std::vector<std::string> order_;
};

class AdmissionTest : public ::testing::Test {
 protected:
  // Starts Admit on its own thread and returns once the call is waiting.
  std::future<Status> Waiter(const std::string& key, const Admission::Attempt& attempt,
                             std::chrono::milliseconds wait = 30s) {
    const size_t before = admission_.GetStats().waiting;
    auto f = std::async(std::launch::async, [this, key, attempt, wait] {
      return admission_.Admit(key, In(wait), attempt);
    });
    EXPECT_TRUE(WaitUntil([&] { return admission_.GetStats().waiting == before + 1; }, 10s));
    return f;
  }

  Admission admission_{Admission::Options{.max_waiting = 8, .retry_after = 1500ms}};
};

TEST_F(AdmissionTest, WithCapacityACallIsPlacedAtOnceAndOtherErrorsAreNotWaitedOn) {
  Slots slots(1);
  EXPECT_TRUE(admission_.Admit("f", In(10s), slots.Take("a")).ok());
  EXPECT_EQ(slots.attempts(), 1);
  const Status removed =
      FailedPreconditionError("removed").WithReason(ErrorReason::kFunctionRemoved);
  EXPECT_EQ(admission_.Admit("f", In(10s), [&] { return removed; }), removed);
  EXPECT_EQ(admission_.GetStats().waiting, 0u);
}

TEST_F(AdmissionTest, AFullClusterQueuesCallsAndServesThemInOrderAsCapacityFrees) {
  Slots slots(0);
  auto a = Waiter("f", slots.Take("a"));
  auto b = Waiter("f", slots.Take("b"));
  auto c = Waiter("f", slots.Take("c"));
  for (int i = 0; i < 3; ++i) slots.Free(admission_);
  EXPECT_TRUE(a.get().ok());
  EXPECT_TRUE(b.get().ok());
  EXPECT_TRUE(c.get().ok());
  EXPECT_EQ(slots.order(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(admission_.GetStats().admitted_after_wait, 3u);
  EXPECT_EQ(admission_.GetStats().waiting, 0u);
}

TEST_F(AdmissionTest, FunctionsTakeTurnsSoABurstOfOneDoesNotStarveAnother) {
  Slots slots(0);
  std::vector<std::future<Status>> calls;
  for (const char* who : {"a1", "a2", "a3"}) calls.push_back(Waiter("a", slots.Take(who)));
  calls.push_back(Waiter("b", slots.Take("b1")));
  for (int i = 0; i < 4; ++i) {
    slots.Free(admission_);
    ASSERT_TRUE(WaitUntil([&] { return slots.order().size() == size_t(i + 1); }, 10s));
  }
  for (auto& c : calls) EXPECT_TRUE(c.get().ok());
  // b1 came after a burst of three, and went second.
  EXPECT_EQ(slots.order(), (std::vector<std::string>{"a1", "b1", "a2", "a3"}));
}

TEST_F(AdmissionTest, AHeadThatDoesNotFitYetDoesNotBlockSmallerCalls) {
  Slots slots(0);
  auto big = Waiter("big", slots.Take("big", 2));
  auto small = Waiter("small", slots.Take("small", 1));
  slots.Free(admission_);
  EXPECT_TRUE(small.get().ok());
  slots.Free(admission_, 2);  // the small call's run ended, and one more slot came free
  EXPECT_TRUE(big.get().ok());
  EXPECT_EQ(slots.order(), (std::vector<std::string>{"small", "big"}));
}

TEST_F(AdmissionTest, CapacityFreedDuringTheFirstAttemptIsNotMissed) {
  int calls = 0;
  const Status s = admission_.Admit("f", In(30s), [&]() -> Status {
    if (++calls == 1) {
      admission_.CapacityFreed();  // another thread freed a slot while this one looked
      return NoCapacity();
    }
    return OkStatus();
  });
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(calls, 2);
}

TEST_F(AdmissionTest, AFullQueueRefusesAtOnceWithARetryHint) {
  Slots slots(0);
  std::vector<std::future<Status>> waiting;
  for (int i = 0; i < 8; ++i) waiting.push_back(Waiter("f", slots.Take("w")));
  const Status refused = admission_.Admit("g", In(30s), slots.Take("late"));
  EXPECT_EQ(refused.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(refused.reason(), ErrorReason::kNoCapacity);
  EXPECT_EQ(refused.retry_after(), 1500ms);
  EXPECT_NE(refused.message().find("8 calls are already waiting"), std::string::npos)
      << refused.message();
  EXPECT_EQ(admission_.GetStats().refused_queue_full, 1u);
  slots.Free(admission_, 8);
  for (auto& w : waiting) EXPECT_TRUE(w.get().ok());
}

TEST_F(AdmissionTest, ARefusalWithARetryHintIsTriedAgainWhenItPassesThoughNoCapacityFrees) {
  // The policy keeps the first attempt waiting for a better node for 50 ms, then takes the room
  // there is. No run ends meanwhile: only the hint brings the second attempt.
  std::atomic<int> attempts{0};
  auto attempt = [&]() -> Status {
    if (attempts++ == 0) return NoCapacity().WithRetryAfter(50ms);
    return OkStatus();
  };
  EXPECT_TRUE(admission_.Admit("f", In(30s), attempt).ok());
  EXPECT_EQ(attempts.load(), 2);
  EXPECT_EQ(admission_.GetStats().admitted_after_wait, 1u);
  // Without a hint, a refusal waits for capacity to free (here: until its deadline).
  attempts = 0;
  auto no_hint = [&]() -> Status {
    ++attempts;
    return NoCapacity();
  };
  EXPECT_EQ(admission_.Admit("f", In(300ms), no_hint).code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(attempts.load(), 1);
}

TEST_F(AdmissionTest, ACallNotPlacedByItsDeadlineIsRefusedAndOneWhoseCallerLeftIsCancelled) {
  Slots slots(0);
  const Status late = admission_.Admit("f", In(50ms), slots.Take("late"));
  EXPECT_EQ(late.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(late.reason(), ErrorReason::kNoCapacity);
  EXPECT_GT(late.retry_after().count(), 0);
  EXPECT_NE(late.message().find("every node is full"), std::string::npos) << late.message();
  EXPECT_EQ(admission_.GetStats().refused_deadline, 1u);

  std::atomic<bool> gone{false};
  auto left = std::async(std::launch::async, [&] {
    return admission_.Admit("f", In(30s), slots.Take("left"), [&] { return gone.load(); });
  });
  ASSERT_TRUE(WaitUntil([&] { return admission_.GetStats().waiting == 1; }, 10s));
  gone = true;
  EXPECT_EQ(left.get().code(), StatusCode::kCancelled);
  EXPECT_EQ(admission_.GetStats().waiting, 0u);
  // Nobody is left in the way of the next call.
  slots.Free(admission_);
  EXPECT_TRUE(admission_.Admit("f", In(1s), slots.Take("next")).ok());
}

TEST(AdmissionDeadlineTest, TheCallersDeadlineLessWhatTheAnswerNeedsCappedByTheLongestWait) {
  const auto now = std::chrono::steady_clock::now();
  const auto wall = std::chrono::system_clock::now();
  auto wait = [&](std::optional<std::chrono::milliseconds> caller_left) {
    CallContext caller;
    if (caller_left) caller.deadline = wall + *caller_left;
    return std::chrono::duration_cast<std::chrono::milliseconds>(
        AdmissionDeadline(now, wall, caller, 10s, 60s) - now);
  };
  EXPECT_EQ(wait(std::nullopt), 10s) << "no deadline: the usual wait";
  EXPECT_EQ(wait(20s), 19s) << "a second kept for the answer";
  EXPECT_EQ(wait(500ms), 450ms) << "a tenth kept when little is left";
  EXPECT_EQ(wait(5min), 60s) << "never longer than the longest wait";
  EXPECT_EQ(wait(-1s), 0ms) << "already past";
}

}  // namespace
}  // namespace tailor::scheduler
