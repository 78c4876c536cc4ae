// The scheduler's HTTP endpoint: a request target, body and Idempotency-Key header (split at
// NUL bytes) must parse into a valid request or be refused, never crash; a callback URL (the
// first part, or the request's) must parse into a usable target or be refused; and any stored
// async result, whatever bytes its output holds, must become JSON.
#include <cstdlib>

#include "common/names.h"
#include "fuzz/fuzz_input.h"
#include "proto/validation.h"
#include "scheduler/callback_target.h"
#include "scheduler/http_api.h"

namespace {

void CheckCallbackUrl(std::string_view url) {
  auto t = tailor::scheduler::ParseCallbackUrl(url, "callback_url");
  if (!t.ok()) return;
  if (t->host.empty() || t->port < 1 || t->port > 65535 || t->path.empty() || t->path[0] != '/' ||
      (t->scheme != "http" && t->scheme != "https") || url.size() > tailor::kMaxCallbackUrlBytes) {
    std::abort();
  }
  (void)t->Origin();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = tailor::fuzz::AsText(data, size);
  const auto parts = tailor::fuzz::SplitParts(text, 3);
  auto request = tailor::scheduler::ParseInvokeAsync(parts[0], parts[1], parts[2]);
  if (request.ok() && !tailor::ValidateGatewayInvokeRequest(*request).ok()) std::abort();
  auto id = tailor::scheduler::ParseResultTarget(parts[0]);
  if (id.ok() && !tailor::IsValidName(tailor::NameKind::kId, *id)) std::abort();
  if (!request.ok()) (void)tailor::scheduler::ErrorJson(request.status());
  if (request.ok() && !request->callback_url().empty()) CheckCallbackUrl(request->callback_url());
  CheckCallbackUrl(parts[0]);
  tailor::v1::AsyncResult result;
  if (result.ParseFromArray(data, static_cast<int>(size))) {
    (void)tailor::scheduler::AsyncResultJson(result);
  }
  return 0;
}
