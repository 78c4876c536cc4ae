#include "agent/runtime/warm_pool.h"

#include <algorithm>

namespace tailor::agent {
namespace {

double Seconds(std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); }

constexpr size_t kMaxRetiredRemembered = 64;

}  // namespace

WarmPool::WarmPool(uint64_t memory_budget_bytes, models::KeepAliveOptions keep_alive,
                   const Clock& clock, bool background)
    : budget_bytes_(memory_budget_bytes), keep_alive_(keep_alive), clock_(clock) {
  if (background) thread_ = std::thread([this] { Loop(); });
}

WarmPool::~WarmPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::vector<std::unique_ptr<LambdaInstance>> all = std::move(retiring_);
  {
    std::lock_guard lock(mu_);
    for (auto& [key, k] : keys_) {
      for (auto& idle : k.idle) all.push_back(std::move(idle.instance));
      k.idle.clear();
    }
    idle_bytes_ = 0;
  }
  all.clear();  // stops each, outside the lock
}

WarmPool::PerKey& WarmPool::KeyLocked(const std::string& key) {
  auto it = keys_.find(key);
  if (it == keys_.end()) {
    it = keys_.emplace(key, PerKey{models::KeepAliveLearner(keep_alive_), {}, {}}).first;
  }
  return it->second;
}

void WarmPool::RetireLocked(PerKey& k, size_t i,
                            std::vector<std::unique_ptr<LambdaInstance>>& out) {
  idle_bytes_ -= k.idle[i].instance->memory_limit_bytes();
  k.retired_since.push_back(k.idle[i].since);
  if (k.retired_since.size() > kMaxRetiredRemembered)
    k.retired_since.erase(k.retired_since.begin());
  out.push_back(std::move(k.idle[i].instance));
  k.idle.erase(k.idle.begin() + static_cast<ptrdiff_t>(i));
}

std::unique_ptr<LambdaInstance> WarmPool::Take(const std::string& key, uint64_t memory_bytes) {
  std::vector<std::unique_ptr<LambdaInstance>> dead;
  std::unique_ptr<LambdaInstance> found;
  {
    std::lock_guard lock(mu_);
    PerKey& k = KeyLocked(key);
    const MonotonicTime now = clock_.MonotonicNow();
    for (size_t i = k.idle.size(); i-- > 0;) {
      LambdaInstance& inst = *k.idle[i].instance;
      if (!inst.usable()) {
        idle_bytes_ -= inst.memory_limit_bytes();
        dead.push_back(std::move(k.idle[i].instance));
        k.idle.erase(k.idle.begin() + static_cast<ptrdiff_t>(i));
        continue;
      }
      if (found || (memory_bytes > 0 && inst.memory_limit_bytes() < memory_bytes)) continue;
      k.learner.Observe(Seconds(now - k.idle[i].since));
      idle_bytes_ -= inst.memory_limit_bytes();
      found = std::move(k.idle[i].instance);
      k.idle.erase(k.idle.begin() + static_cast<ptrdiff_t>(i));
    }
    if (!found && !k.retired_since.empty()) {
      // A cold start: the newest instance retired unused would have had to wait this long.
      k.learner.Observe(Seconds(now - k.retired_since.back()));
      k.retired_since.pop_back();
    }
  }
  Retire(std::move(dead));
  return found;
}

void WarmPool::Retire(std::vector<std::unique_ptr<LambdaInstance>> instances) {
  if (instances.empty()) return;
  {
    std::lock_guard lock(mu_);
    if (thread_.joinable() && !stopping_) {
      for (auto& i : instances) retiring_.push_back(std::move(i));
      instances.clear();
    }
  }
  wake_.notify_all();
  // Without the pool's thread they are stopped here, outside the lock.
}

void WarmPool::EvictOverBudgetLocked(std::vector<std::unique_ptr<LambdaInstance>>& out) {
  while (idle_bytes_ > budget_bytes_) {
    PerKey* oldest_key = nullptr;
    for (auto& [key, k] : keys_) {
      if (k.idle.empty()) continue;
      if (oldest_key == nullptr || k.idle.front().since < oldest_key->idle.front().since) {
        oldest_key = &k;
      }
    }
    if (oldest_key == nullptr) return;
    RetireLocked(*oldest_key, 0, out);
    ++retired_budget_;
  }
}

void WarmPool::Put(std::unique_ptr<LambdaInstance> instance) {
  std::vector<std::unique_ptr<LambdaInstance>> retired;
  {
    std::lock_guard lock(mu_);
    PerKey& k = KeyLocked(instance->key());
    const MonotonicTime now = clock_.MonotonicNow();
    if (!instance->usable() || instance->memory_limit_bytes() > budget_bytes_) {
      retired.push_back(std::move(instance));
    } else {
      // Kept even with a window of 0 until the pool's next look: a call already waiting for
      // it (a burst) still finds it.
      idle_bytes_ += instance->memory_limit_bytes();
      k.idle.push_back({std::move(instance), now});
      EvictOverBudgetLocked(retired);
    }
  }
  Retire(std::move(retired));
}

size_t WarmPool::RetireExpired() {
  std::vector<std::unique_ptr<LambdaInstance>> retired;
  {
    std::lock_guard lock(mu_);
    const MonotonicTime now = clock_.MonotonicNow();
    for (auto& [key, k] : keys_) {
      const double window_s = k.learner.WindowSeconds();
      for (size_t i = k.idle.size(); i-- > 0;) {
        const Idle& idle = k.idle[i];
        if (Seconds(now - idle.since) <= window_s && idle.instance->usable()) continue;
        RetireLocked(k, i, retired);
        ++retired_expired_;
      }
    }
  }
  const size_t n = retired.size();
  Retire(std::move(retired));
  return n;
}

std::chrono::milliseconds WarmPool::KeepAliveFor(const std::string& key) {
  std::lock_guard lock(mu_);
  return std::chrono::milliseconds(
      static_cast<int64_t>(KeyLocked(key).learner.WindowSeconds() * 1000));
}

WarmPoolStats WarmPool::stats() const {
  std::lock_guard lock(mu_);
  WarmPoolStats s;
  for (const auto& [key, k] : keys_) s.idle_instances += static_cast<uint32_t>(k.idle.size());
  s.idle_memory_bytes = idle_bytes_;
  s.retired_expired = retired_expired_;
  s.retired_budget = retired_budget_;
  return s;
}

std::map<std::string, uint32_t> WarmPool::IdleByKey() const {
  std::lock_guard lock(mu_);
  std::map<std::string, uint32_t> out;
  for (const auto& [key, k] : keys_) {
    if (!k.idle.empty()) out[key] = static_cast<uint32_t>(k.idle.size());
  }
  return out;
}

void WarmPool::Loop() {
  std::unique_lock lock(mu_);
  while (true) {
    std::vector<std::unique_ptr<LambdaInstance>> stopping = std::move(retiring_);
    retiring_.clear();
    lock.unlock();
    stopping.clear();  // each waits for its process to end
    if (!stopping_) RetireExpired();
    lock.lock();
    if (stopping_ && retiring_.empty()) return;
    if (retiring_.empty()) wake_.wait_for(lock, std::chrono::seconds(1));
  }
}

}  // namespace tailor::agent
