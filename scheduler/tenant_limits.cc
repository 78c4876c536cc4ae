#include "scheduler/tenant_limits.h"

namespace tailor::scheduler {

TenantLimits::Slot::~Slot() {
  if (limits_ != nullptr) limits_->Release(tenant_);
}

Result<TenantLimits::Slot> TenantLimits::Acquire(const std::string& tenant) {
  std::lock_guard lock(mu_);
  uint32_t& running = running_[tenant];
  if (options_.max_concurrent_invocations > 0 && running >= options_.max_concurrent_invocations) {
    if (running == 0) running_.erase(tenant);
    return ResourceExhaustedError("tenant " + tenant + " has " + std::to_string(running) +
                                  " invocations running, its limit")
        .WithReason(ErrorReason::kTenantLimit)
        .WithRetryAfter(options_.retry_after);
  }
  ++running;
  return Slot(this, tenant);
}

uint32_t TenantLimits::Running(const std::string& tenant) const {
  std::lock_guard lock(mu_);
  auto it = running_.find(tenant);
  return it == running_.end() ? 0 : it->second;
}

void TenantLimits::Release(const std::string& tenant) {
  std::lock_guard lock(mu_);
  auto it = running_.find(tenant);
  if (it == running_.end()) return;
  if (--it->second == 0) running_.erase(it);
}

}  // namespace tailor::scheduler
