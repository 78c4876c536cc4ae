// The Lambda invoke API and AWS Signature Version 4: a request target, the invocation and log
// type headers, a body and an Authorization header (split at NUL bytes) must parse into a valid
// request or be refused, never crash; a parsed signature header is verified against the same
// request (signed by SignSigV4 with a fixed secret it must verify, with another it must not);
// every refusal becomes Lambda's error with a known status.
#include <cstdlib>

#include "fuzz/fuzz_input.h"
#include "proto/validation.h"
#include "scheduler/lambda_api.h"
#include "scheduler/sigv4.h"

namespace {

using namespace tailor::scheduler;

void CheckSignature(std::string_view target, std::string_view body, std::string_view header) {
  auto auth = ParseSigV4Authorization(header);
  if (!auth.ok()) return;
  SigV4Request req{"POST", target, {{"host", "h"}, {"x-amz-date", "20261201T062015Z"}}, body};
  auto signature = SignSigV4(req, *auth, "secret");
  if (!signature.ok()) return;  // a signed header missing from the request
  auth->signature = *signature;
  const auto now = std::chrono::system_clock::from_time_t(1796106015);
  const auto verified = VerifySigV4(req, *auth, "secret", now, auth->service);
  const bool should = auth->date == "20261201" &&
                      std::find(auth->signed_headers.begin(), auth->signed_headers.end(), "host") !=
                          auth->signed_headers.end() &&
                      std::find(auth->signed_headers.begin(), auth->signed_headers.end(),
                                "x-amz-date") != auth->signed_headers.end();
  if (verified.ok() != should) std::abort();
  if (should && VerifySigV4(req, *auth, "other", now, auth->service).ok()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = tailor::fuzz::AsText(data, size);
  const auto parts = tailor::fuzz::SplitParts(text, 5);
  auto invoke = ParseLambdaInvoke(parts[0], {parts[1], parts[2]}, parts[3], 1 << 20);
  if (invoke.ok() && !tailor::ValidateGatewayInvokeRequest(invoke->request).ok()) std::abort();
  if (!invoke.ok()) {
    const LambdaHttpAnswer a = LambdaErrorFor(invoke.status());
    if (a.status < 400 || a.status > 599 || a.headers.empty()) std::abort();
  }
  CheckSignature(parts[0], parts[3], parts[4]);
  return 0;
}
