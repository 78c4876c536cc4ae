#include "bench/simulator/keep_alive_sim.h"

#include <algorithm>

namespace tailor::sim {
namespace {

constexpr double kDefaultMemoryMib = 128;

struct Instance {
  double free_at_ms = 0;  // busy until then
  double window_ms = 0;   // how long it may idle once free
};

struct FunctionInstances {
  std::vector<Instance> instances;
  models::KeepAliveLearner learner;
  std::vector<double> retired_free_at;  // when instances retired unused were freed
  uint64_t invocations = 0, cold = 0;
  double duration_ms = 1, memory_gib = kDefaultMemoryMib / 1024;
};

double WindowMs(const KeepAliveSimOptions& o, const FunctionInstances& f) {
  switch (o.policy) {
    case KeepAlivePolicy::kNone:
      return 0;
    case KeepAlivePolicy::kFixed:
      return o.keep_alive.fixed_window_s * 1000;
    case KeepAlivePolicy::kLearned:
      return f.learner.WindowSeconds() * 1000;
  }
  return 0;
}

// Idle time an instance spent (and so held memory) from when it was freed until `until_ms`.
double IdleMs(const Instance& i, double until_ms) {
  return std::clamp(until_ms - i.free_at_ms, 0.0, i.window_ms);
}

}  // namespace

KeepAliveSimResult SimulateKeepAlive(const Trace& trace, const std::vector<Arrival>& arrivals,
                                     const KeepAliveSimOptions& options) {
  std::vector<FunctionInstances> fns(trace.functions.size());
  for (size_t i = 0; i < fns.size(); ++i) {
    const TraceFunction& t = trace.functions[i];
    fns[i].learner = models::KeepAliveLearner(options.keep_alive);
    if (t.has_duration && t.average_ms > 0) fns[i].duration_ms = t.average_ms;
    if (t.has_memory && t.memory_percentiles_mib[3] > 0) {
      fns[i].memory_gib = t.memory_percentiles_mib[3] / 1024;
    }
  }
  KeepAliveSimResult r;
  double idle_gib_ms = 0, latency_sum_ms = 0, end_ms = 0;
  for (const Arrival& a : arrivals) {
    FunctionInstances& f = fns[a.function];
    const double t = a.time_ms;
    // Instances whose window has passed are gone; their idle time is counted, and when they
    // were freed is remembered, as the agent does.
    std::erase_if(f.instances, [&](const Instance& i) {
      if (i.free_at_ms > t || t - i.free_at_ms <= i.window_ms) return false;
      idle_gib_ms += i.window_ms * f.memory_gib;
      f.retired_free_at.push_back(i.free_at_ms);
      return true;
    });
    // The most recently freed idle instance.
    Instance* warm = nullptr;
    for (Instance& i : f.instances) {
      if (i.free_at_ms <= t && (warm == nullptr || i.free_at_ms > warm->free_at_ms)) warm = &i;
    }
    double latency = f.duration_ms;
    // How long the instance this call could have used had waited (agent: WarmPool::Take).
    if (warm != nullptr) {
      f.learner.Observe((t - warm->free_at_ms) / 1000);
    } else if (!f.retired_free_at.empty()) {
      f.learner.Observe((t - f.retired_free_at.back()) / 1000);
      f.retired_free_at.pop_back();
    }
    if (warm != nullptr) {
      idle_gib_ms += (t - warm->free_at_ms) * f.memory_gib;
    } else {
      latency += options.cold_start_ms;
      ++f.cold;
      ++r.cold_starts;
      f.instances.push_back({});
      warm = &f.instances.back();
    }
    warm->free_at_ms = t + latency;
    warm->window_ms = WindowMs(options, f);
    ++f.invocations;
    ++r.invocations;
    latency_sum_ms += latency;
    end_ms = std::max(end_ms, warm->free_at_ms);
  }
  double cold_share_sum = 0;
  size_t invoked = 0;
  for (const FunctionInstances& f : fns) {
    for (const Instance& i : f.instances) idle_gib_ms += IdleMs(i, end_ms) * f.memory_gib;
    if (f.invocations > 0) {
      cold_share_sum += double(f.cold) / double(f.invocations);
      ++invoked;
    }
  }
  r.idle_gib_hours = idle_gib_ms / 3.6e6;
  r.mean_latency_ms = r.invocations ? latency_sum_ms / double(r.invocations) : 0;
  r.functions_cold_share = invoked ? cold_share_sum / double(invoked) : 0;
  return r;
}

}  // namespace tailor::sim
