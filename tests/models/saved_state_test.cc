// What the models learned comes back from its saved form exactly, whatever the values (a
// scheduler that ran about 14,000 runs of one function saved subnormal weights that the old
// text form could not read back, and crash-looped at every start); and a damaged saved form is
// refused, never a crash and never a policy that cannot place.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <random>

#include "common/byte_codec.h"
#include "models/cluster_index.h"
#include "models/decayed_histogram.h"
#include "models/learned_policy.h"
#include "models/node_slowness.h"
#include "models/resource_profile.h"
#include "models/run_statistics.h"
#include "tests/models/test_cluster.h"

namespace tailor::models {
namespace {

using testing::NodeOfClass;
using testing::TestClass;

class SavedStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const auto& cls : {TestClass("fast", {"aes"}), TestClass("slow", {})}) {
      index_.Upsert(NodeOfClass(cls, cls.name + "0", {8ull << 30, 4000}), cls);
    }
  }
  // `runs` runs of `fn`, alternating classes, with durations and peaks that vary; on three
  // nodes per class unless `anonymous` (reports that name no node teach no node slowness).
  void Teach(LearnedPolicy& p, const std::string& fn, int runs, bool anonymous = false) {
    std::mt19937_64 rng(7);
    std::lognormal_distribution<double> ms(3.0, 0.5);
    for (int i = 0; i < runs; ++i) {
      RunObservation o;
      o.function = fn;
      o.host_class = i % 2 ? "fast" : "slow";
      if (!anonymous) o.node_id = o.host_class + std::to_string(i / 2 % 3);
      o.class_features = HostFeatureVector(TestClass(
          o.host_class, i % 2 ? std::vector<std::string>{"aes"} : std::vector<std::string>{}));
      o.wall_ms = ms(rng);
      o.cpu_ms = o.wall_ms * 0.8;
      o.peak_memory_bytes = (32ull << 20) + (rng() % (16ull << 20));
      o.memory_limit_bytes = 128ull << 20;
      o.succeeded = true;
      p.Observe(o);
    }
  }
  // A run of `fn` on `cls` that names no node.
  void Run(LearnedPolicy& p, const std::string& fn, const std::string& cls, double ms) {
    RunObservation o;
    o.function = fn;
    o.host_class = cls;
    o.class_features = HostFeatureVector(TestClass(
        cls, cls == "fast" ? std::vector<std::string>{"aes"} : std::vector<std::string>{}));
    o.wall_ms = ms;
    o.cpu_ms = ms;
    o.succeeded = true;
    p.Observe(o);
  }
  PlacementRequest Req(const std::string& fn) {
    PlacementRequest r;
    r.function.name = fn;
    return r;
  }
  ClusterIndex index_;
};

TEST(DecayedHistogramSavedTest, SubnormalWeightsComeBackBitForBit) {
  DecayedHistogram h(0.95);
  for (int i = 0; i < 14'000; ++i) h.Add(i < 10 ? 1e6 : 10.0 + (i % 7));
  const std::string saved = h.Save();
  // The first runs' weights decayed by 0.95^14000: far below DBL_MIN, yet not zero.
  bool subnormal = false;
  for (size_t at = 0; at + 8 <= saved.size(); ++at) {
    double v;
    std::memcpy(&v, saved.data() + at, 8);
    subnormal |= std::fpclassify(v) == FP_SUBNORMAL;
  }
  EXPECT_TRUE(subnormal) << "the case that broke the text form";
  DecayedHistogram restored;
  ASSERT_TRUE(restored.Restore(saved));
  EXPECT_TRUE(restored.Save() == saved);
  EXPECT_EQ(restored.Quantile(0.99), h.Quantile(0.99));
}

TEST(DecayedHistogramSavedTest, BucketsThatDoNotComeInOrderOnceEachAreRefused) {
  DecayedHistogram h;
  h.Add(1.0);
  h.Add(100.0);
  const std::string saved = h.Save();
  // decay, max, count, then (bucket u32, weight f64) twice.
  ASSERT_EQ(saved.size(), 8u + 8u + 8u + 2 * 12u);
  std::string swapped = saved, repeated = saved;
  std::memcpy(&swapped[24], saved.data() + 36, 12);
  std::memcpy(&swapped[36], saved.data() + 24, 12);
  std::memcpy(&repeated[36], saved.data() + 24, 4);  // the first bucket's index again
  DecayedHistogram restored;
  ASSERT_TRUE(restored.Restore(saved));
  EXPECT_FALSE(restored.Restore(swapped));
  EXPECT_FALSE(restored.Restore(repeated));
  EXPECT_TRUE(restored.Save() == saved);  // unchanged by the refusals
}

TEST_F(SavedStateTest, ALongHistoryRoundTripsExactly) {
  LearnedPolicy p(Objective::kPerformance);
  Teach(p, "busy", 14'000);
  Teach(p, "rare", 3);
  const std::string saved = p.SaveState();
  LearnedPolicy restored(Objective::kPerformance);
  ASSERT_TRUE(restored.RestoreState(saved).ok());
  EXPECT_TRUE(restored.SaveState() == saved) << "every value back bit for bit";
  auto d = restored.Decide(Req("busy"), index_);
  ASSERT_TRUE(d.ok());
  EXPECT_GT(d->predicted_duration_ms, 0);
}

TEST_F(SavedStateTest, DamagedStateIsRefusedOrHarmlessNeverACrash) {
  LearnedPolicy source(Objective::kPerformance);
  Teach(source, "f", 300);
  Teach(source, "g", 40);
  const std::string saved = source.SaveState();
  const double specials[] = {std::numeric_limits<double>::quiet_NaN(),
                             std::numeric_limits<double>::infinity(),
                             -std::numeric_limits<double>::infinity(),
                             4.98e-317,
                             -1.0,
                             1e308,
                             0.0};
  std::mt19937_64 rng(42);
  int refused = 0, accepted = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::string damaged = saved;
    switch (trial % 4) {
      case 0: {  // a special double written in at any offset
        const double v = specials[rng() % std::size(specials)];
        const size_t at = rng() % (damaged.size() - 8);
        std::memcpy(damaged.data() + at, &v, 8);
        break;
      }
      case 1:  // a few bytes changed
        for (int k = 0; k < 3; ++k) damaged[rng() % damaged.size()] = static_cast<char>(rng());
        break;
      case 2:  // cut short
        damaged.resize(rng() % damaged.size());
        break;
      case 3: {  // a length or count made huge
        const uint64_t huge = ~uint64_t{0} >> (rng() % 8);
        std::memcpy(damaged.data() + rng() % (damaged.size() - 8), &huge, 8);
        break;
      }
    }
    LearnedPolicy p(Objective::kPerformance);
    const Status s = p.RestoreState(damaged);
    if (!s.ok()) {
      EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
      ++refused;
      continue;
    }
    ++accepted;
    // Whatever was accepted still places, within what the nodes have.
    for (const char* fn : {"f", "g", "new"}) {
      auto d = p.Decide(Req(fn), index_);
      ASSERT_TRUE(d.ok()) << "trial " << trial << ": " << d.status();
      EXPECT_LE(d->allocation.memory_limit_bytes, 8ull << 30);
      EXPECT_LE(d->allocation.cpu_millicores, 4000u);
      EXPECT_TRUE(std::isfinite(d->predicted_duration_ms)) << "trial " << trial;
    }
  }
  EXPECT_GT(refused, 1000);
  EXPECT_GT(accepted, 0) << "some damage lands in bytes that do not matter (names, counts kept)";
}

TEST_F(SavedStateTest, VersionTwoWithoutNodeSlownessStillReads) {
  LearnedPolicy p(Objective::kPerformance);
  Teach(p, "f", 200, /*anonymous=*/true);
  const std::string v3 = p.SaveState();
  // Version 2 was version 3 without the node slowness: an empty one is a length (8 bytes)
  // holding two counts of 0 (nodes, classes: 16 bytes). The version follows the magic (a
  // length and 21 bytes).
  std::string v2 = v3.substr(0, v3.size() - 24);
  constexpr size_t kVersionAt = 8 + 21;
  ASSERT_EQ(v2[kVersionAt], 3);
  v2[kVersionAt] = 2;
  LearnedPolicy restored(Objective::kPerformance);
  ASSERT_TRUE(restored.RestoreState(v2).ok());
  EXPECT_TRUE(restored.SaveState() == v3);
  v2[kVersionAt] = 4;
  const Status future = restored.RestoreState(v2);
  EXPECT_EQ(future.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(future.message().find("versions 2 to 3"), std::string::npos) << future;
}

// Saves `p` a part of `functions` functions at a time, as the scheduler does, calling
// `between(part)` after each part but the last (parts counted from 0).
std::string SaveInParts(
    const PlacementPolicy& p, size_t functions,
    const std::function<void(int)>& between = [](int) {}) {
  std::unique_ptr<StateSave> save = p.StartSave();
  for (int part = 0; !save->WriteSome(functions); ++part) between(part);
  return std::move(*save).Take();
}

TEST_F(SavedStateTest, AStateSavedInPartsIsTheStateSavedWhole) {
  LearnedPolicy p(Objective::kPerformance);
  Teach(p, "f", 300);
  Teach(p, "g", 40);
  Teach(p, "h", 5, /*anonymous=*/true);
  int between = 0;
  EXPECT_TRUE(SaveInParts(p, 1, [&](int) { ++between; }) == p.SaveState());
  // One function per part: resource profiles, run statistics, then the duration model.
  EXPECT_EQ(between + 1, 3 * 3);
  EXPECT_TRUE(SaveInParts(p, 2) == p.SaveState());
  LearnedPolicy empty(Objective::kPerformance);
  EXPECT_TRUE(SaveInParts(empty, 1) == empty.SaveState());
}

TEST_F(SavedStateTest, WhatIsLearnedBetweenPartsIsSavedWhereItsRecordsComeLater) {
  LearnedPolicy p(Objective::kPerformance);
  Teach(p, "f", 300);
  Teach(p, "g", 40);
  // After the first part (f's resource profile), g runs again and a new function runs: every
  // record of theirs is written after, so the save is the state as it is at the end.
  const std::string saved = SaveInParts(p, 1, [&](int part) {
    if (part != 0) return;
    Teach(p, "g", 40);
    Teach(p, "late", 20);
  });
  EXPECT_TRUE(saved == p.SaveState());
  // f runs again after its resource profile was written: the state saved is f's profile from
  // before and the rest from after, and it restores.
  const std::string torn = SaveInParts(p, 1, [&](int part) {
    if (part == 0) Teach(p, "f", 30);
  });
  LearnedPolicy restored(Objective::kPerformance);
  ASSERT_TRUE(restored.RestoreState(torn).ok());
  EXPECT_EQ(restored.model().Runs("f"), p.model().Runs("f"));
  ASSERT_NE(restored.Statistics("late", "fast"), nullptr);
  EXPECT_EQ(restored.Statistics("late", "fast")->runs(), p.Statistics("late", "fast")->runs());
}

TEST_F(SavedStateTest, ASaveThatOutlivesARestoreStartsAgain) {
  LearnedPolicy other(Objective::kPerformance);
  Teach(other, "x", 120);
  const std::string other_state = other.SaveState();
  LearnedPolicy p(Objective::kPerformance);
  Teach(p, "f", 300);
  Teach(p, "g", 40);
  for (int restored_after : {1, 3, 5}) {  // in the resource profiles, the statistics, the model
    ASSERT_TRUE(p.RestoreState(SaveInParts(p, 1)).ok());
    const std::string saved = SaveInParts(p, 1, [&](int part) {
      if (part == restored_after) {
        ASSERT_TRUE(p.RestoreState(other_state).ok());
      }
    });
    EXPECT_TRUE(saved == other_state) << restored_after;
    Teach(p, "f", 300);
    Teach(p, "g", 40);
  }
}

TEST_F(SavedStateTest, ASaveDuringWhoseModelPartsAClassShiftsStartsAgain) {
  // "rare" ran three times on each class before twelve busy functions, which then run in
  // rounds until "fast" becomes three times slower for all of them (ClassShift): that moves
  // rare's cell there too.
  LearnedPolicy p(Objective::kPerformance);
  for (int i = 0; i < 3; ++i) {
    Run(p, "rare", "fast", 80);
    Run(p, "rare", "slow", 120);
  }
  constexpr int kBusy = 12;
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> noise(0.0, 0.2);
  auto round = [&](double fast_factor) {
    for (int i = 0; i < kBusy; ++i) {
      const double base_ms = 40.0 + 10.0 * i;
      Run(p, "busy" + std::to_string(i), "fast", base_ms * fast_factor * noise(rng));
      Run(p, "busy" + std::to_string(i), "slow", base_ms * 1.5 * noise(rng));
    }
  };
  const int rounds_past_a_window = static_cast<int>(DurationModel::kMaxShiftWindowRuns) / kBusy + 8;
  for (int r = 0; r < rounds_past_a_window; ++r) round(1.0);
  bool shifted = false;
  const std::string saved = SaveInParts(p, 1, [&](int part) {
    // Parts 0-25: the 13 resource profiles and run statistics; 26: the model's first
    // function, "rare".
    if (part != 2 * (kBusy + 1)) return;
    const uint64_t shifts = p.model().class_shifts();
    for (int r = 0; r < 40 && p.model().class_shifts() == shifts; ++r) round(3.0);
    shifted = p.model().class_shifts() > shifts;
  });
  ASSERT_TRUE(shifted);
  EXPECT_TRUE(saved == p.SaveState());
  LearnedPolicy restored(Objective::kPerformance);
  ASSERT_TRUE(restored.RestoreState(saved).ok());
  const auto fast = HostFeatureVector(TestClass("fast", {"aes"}));
  EXPECT_EQ(restored.model().Predict("rare", "fast", fast, std::nullopt, 0).mean_log_ms,
            p.model().Predict("rare", "fast", fast, std::nullopt, 0).mean_log_ms);
}

TEST_F(SavedStateTest, AFunctionOrACellSavedTwiceIsRefused) {
  // Restoring keeps each function once, in the order saved (the order the next save walks).
  ResourceProfiles profiles;
  RunObservation o;
  o.function = "f";
  o.wall_ms = o.cpu_ms = 10;
  o.peak_memory_bytes = 64ull << 20;
  o.succeeded = true;
  profiles.Observe(o);
  const std::string one = profiles.Save();  // a count, then the one record
  ByteWriter twice;
  twice.U64(2);
  twice.Raw(std::string_view(one).substr(8));
  twice.Raw(std::string_view(one).substr(8));
  ResourceProfiles restored;
  ASSERT_TRUE(restored.Restore(one));
  EXPECT_FALSE(restored.Restore(twice.bytes()));
  EXPECT_TRUE(restored.Save() == one);

  RunStatistics cell;
  cell.Add(o);
  auto state_with_cells = [&](int copies) {
    ByteWriter out;
    out.Str("tailor-learned-policy");
    out.U32(3);
    out.Str(DurationModel().Save());
    out.Str(ResourceProfiles().Save());
    out.U64(copies);
    for (int i = 0; i < copies; ++i) {
      out.Str("f");
      out.Str("fast");
      out.Str(cell.Save());
    }
    out.Str(NodeSlowness().Save());
    return out.Take();
  };
  LearnedPolicy p(Objective::kPerformance);
  ASSERT_TRUE(p.RestoreState(state_with_cells(1)).ok());
  EXPECT_EQ(p.Statistics("f", "fast")->runs(), 1);
  const Status s = p.RestoreState(state_with_cells(2));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(p.SaveState() == state_with_cells(1));
}

TEST_F(SavedStateTest, TheOldTextFormIsRefusedWithAReasonSoTheSchedulerRelearns) {
  LearnedPolicy p(Objective::kPerformance);
  const Status s = p.RestoreState("tailor-learned-policy 1\nmodel 5\nhello");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("not a saved learned-policy state"), std::string::npos) << s;
}

}  // namespace
}  // namespace tailor::models
