// ResourceProfile: what a function uses, learned from its runs (peak memory quantiles with
// decay, CPU demand, OOM kills, LLC miss rate), and the allocation advisor built on it.
//
// Advice: memory limit = the p95 of observed peaks plus 25% headroom (at least 16 MiB),
// doubled for each recent OOM kill (the decayed count, so the bump fades if it never recurs);
// before any run, the manifest's hint (or 256 MiB). CPU quota = the decayed mean CPU demand,
// rounded up to 100 millicores (at least 100); one core before any run. Cache ways: 2 for
// functions whose LLC miss rate exceeds 30% (cache-sensitive), on nodes that can allocate.
//
// No single run can push the advice out of bounds:
//   - a peak counts at most up to the limit the run had; a run that came within 5% of its limit
//     without an OOM kill (page cache fills any limit) says only "fits in that limit": it is
//     kept apart from the peaks (as the saturated limit, with a decayed weight), and the advice
//     is at least that limit while such runs are recent, so it holds there instead of
//     ratcheting up or down;
//   - CPU demand is CPU time per wall second, except when the run was throttled in at least
//     20% of its CFS periods: then it wanted more than its quota, and the demand is at least
//     twice the quota, at once (not averaged with earlier runs'): a quota that was too small
//     doubles with each throttled run, so a function that needs n cores gets them after about
//     log2(n) runs; it never only shrinks; a run throttled under less than the advice (a
//     squeezed run, a caller's fixed quota, a decision made before the advice grew) says
//     nothing the advice does not, and is not learned;
//   - the advice never exceeds the ceiling the caller passes (the largest node, the
//     manifest's max_memory_bytes): OOM growth stops there.
//
// Thread-safety: not thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/byte_codec.h"
#include "common/generation.h"
#include "models/decayed_histogram.h"
#include "models/placement_policy.h"

namespace tailor::models {

class ResourceProfiles {
 public:
  ResourceProfiles() = default;
  // Moves only: order_ points into profiles_'s nodes, which a move carries along.
  ResourceProfiles(ResourceProfiles&&) = default;
  ResourceProfiles& operator=(ResourceProfiles&&) = default;
  void Observe(const RunObservation& run, double llc_miss_ratio = -1);
  // `ceiling`: the most memory and CPU an allocation may have (0: no bound).
  Allocation Advise(const FunctionInfo& function, const Resources& ceiling = {}) const;
  // Whether the run was throttled under a quota below the CPU its function is advised (it ran
  // squeezed, LearnedPolicy's crunch rule, or with a caller's fixed allocation, or before its
  // advice grew): it says nothing about the function's demand that the advice does not, and
  // its duration is the quota's, not the function's. Observe learns no CPU demand from it.
  bool RanBelowAdvice(const RunObservation& run) const;
  // Ways to give on a node offering `ways_total` (0 when not cache-sensitive or none offered).
  uint32_t AdviseCacheWays(const std::string& function, uint32_t ways_total) const;

  // Binary (common/byte_codec.h); Restore refuses, unchanged, anything Save did not write or
  // any figure that is not finite or out of its range.
  std::string Save() const;
  bool Restore(std::string_view bytes);
  // Save a few functions at a time (as DurationModel::PartedSave): in the order the functions
  // were first seen (a restored ResourceProfiles keeps the order it was saved in), each as it
  // was at its part.
  class PartedSave {
   public:
    // Whether `profiles` has not been restored since this save began.
    bool Current(const ResourceProfiles& profiles) const;
    // Writes the next `max_functions` functions; true once every function is written. A save
    // that is no longer Current starts again from the first function.
    bool WriteSome(const ResourceProfiles& profiles, size_t max_functions);
    // What Save would have returned, its size, or appended to `out`.
    std::string Take() const;
    size_t size() const { return 8 + records_.size(); }
    void AppendTo(ByteWriter& out) const;

   private:
    friend class ResourceProfiles;
    uint64_t generation_ = 0;
    size_t next_ = 0;
    ByteParts records_;
  };
  PartedSave StartSave() const;

 private:
  struct Profile {
    DecayedHistogram peaks{0.98};
    uint64_t runs = 0;
    double p95_peak = 0;   // read from the histogram at Observe, not at each decision
    double cpu_ratio = 0;  // decayed mean CPU demand, in cores
    double cpu_ratio_weight = 0;
    double ooms = 0;  // decayed count
    double llc_miss = -1;
    double saturated_limit = 0;   // the limit of the newest run that filled it without an OOM
    double saturated_weight = 0;  // decayed count of such runs
  };
  std::unordered_map<std::string, Profile> profiles_;
  // profiles_'s entries in the order they were first seen (what saving walks): node-based,
  // they stay where they are as the map grows.
  std::vector<const std::pair<const std::string, Profile>*> order_;
  uint64_t generation_ = NewGeneration();  // a new one at every Restore
  static double AdvisedCpuMillicores(const Profile& p);
  static bool BelowAdvice(const RunObservation& run, const Profile& p);
  static void WriteProfile(const std::string& name, const Profile& p, ByteWriter& out);
  // Advise reads the histogram only when it changed: decisions outnumber runs.
  double PeakP95(const Profile& p) const;
};

}  // namespace tailor::models
