// TenantLimits: how many invocations one tenant may have running through the gateway at once
// (sync calls, and async ones while the dispatcher runs them), so one tenant cannot take every
// slot of the cluster. At the limit a sync call is refused with RESOURCE_EXHAUSTED and a retry
// hint; an async invocation waits its turn in the queue without spending a try. (The async
// queue bounds each tenant's waiting invocations itself: AsyncQueue::Options.)
//
// Thread-safety: safe to call concurrently; a Slot may be released on any thread.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/status.h"

namespace tailor::scheduler {

class TenantLimits {
 public:
  struct Options {
    uint32_t max_concurrent_invocations = 1000;  // per tenant; 0: no limit
    std::chrono::milliseconds retry_after{1000};
  };
  explicit TenantLimits(Options options) : options_(options) {}

  // Holds one of a tenant's invocation slots until destroyed.
  class Slot {
   public:
    Slot(TenantLimits* limits, std::string tenant) : limits_(limits), tenant_(std::move(tenant)) {}
    Slot(Slot&& other) noexcept : limits_(other.limits_), tenant_(std::move(other.tenant_)) {
      other.limits_ = nullptr;
    }
    Slot& operator=(Slot&&) = delete;
    ~Slot();

   private:
    TenantLimits* limits_;
    std::string tenant_;
  };

  // RESOURCE_EXHAUSTED (with ErrorReason::kTenantLimit and a retry hint) when `tenant` has
  // its most invocations running.
  Result<Slot> Acquire(const std::string& tenant);
  uint32_t Running(const std::string& tenant) const;

 private:
  void Release(const std::string& tenant);

  const Options options_;
  mutable std::mutex mu_;
  std::map<std::string, uint32_t> running_;  // guarded by mu_; tenants with none are erased
};

}  // namespace tailor::scheduler
