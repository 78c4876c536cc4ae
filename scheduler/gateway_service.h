// GatewayServiceImpl: tailor.v1.Gateway: synchronous Invoke, durable InvokeAsync, GetResult,
// and GetProfile (what Tailor has learned about a function, and what its next invocation
// would be given). Every request is authorized first (authorizer.h: invoker for Invoke,
// InvokeAsync and GetResult, reader for GetProfile), then checked (proto/validation.h). A
// function, invocation or profile of a tenant the caller does not see is NOT_FOUND, as if it
// did not exist.
//
// Thread-safety: called concurrently by gRPC; everything it uses is thread-safe.
#pragma once

#include <functional>

#include "scheduler/async_queue.h"
#include "scheduler/authorizer.h"
#include "scheduler/function_registry.h"
#include "scheduler/gateway.h"
#include "scheduler/run_store.h"
#include "tailor/v1/gateway.grpc.pb.h"

namespace tailor::scheduler {

class GatewayServiceImpl final : public v1::Gateway::Service {
 public:
  struct Options {
    uint64_t max_payload_bytes = 16ull << 20;
    size_t profile_max_runs = 10'000;  // newest runs a profile is computed from
  };
  GatewayServiceImpl(Options options, Authorizer& authorizer, Gateway& gateway, AsyncQueue& queue,
                     FunctionRegistry& functions, RunStore& runs, Placer& placer,
                     std::function<void()> on_enqueue)
      : options_(options),
        authorizer_(authorizer),
        gateway_(gateway),
        queue_(queue),
        functions_(functions),
        runs_(runs),
        placer_(placer),
        on_enqueue_(std::move(on_enqueue)) {}

  grpc::Status Invoke(grpc::ServerContext* context, const v1::GatewayInvokeRequest* request,
                      v1::GatewayInvokeResponse* response) override;
  grpc::Status InvokeAsync(grpc::ServerContext* context, const v1::GatewayInvokeRequest* request,
                           v1::InvokeAsyncResponse* response) override;
  grpc::Status GetResult(grpc::ServerContext* context, const v1::GetResultRequest* request,
                         v1::AsyncResult* response) override;
  grpc::Status GetProfile(grpc::ServerContext* context, const v1::GetProfileRequest* request,
                          v1::FunctionProfile* response) override;

  // Checks and queues one async invocation for `who` (also used by the HTTP webhook).
  Result<std::string> Enqueue(const Identity& who, const v1::GatewayInvokeRequest& request);
  // Runs one invocation for `who` and answers when it ends (the Lambda invoke API).
  Result<v1::GatewayInvokeResponse> InvokeFor(const Identity& who,
                                              const v1::GatewayInvokeRequest& request);
  // OK when `who` may invoke the request's function and it can be invoked (Lambda's DryRun).
  Status CheckInvocable(const Identity& who, const v1::GatewayInvokeRequest& request) {
    return CheckRequest(who, request).status();
  }
  // The result of an async invocation `who` may see (also used by the HTTP webhook).
  Result<v1::AsyncResult> ReadResult(const Identity& who, const std::string& id);

  Authorizer& authorizer() { return authorizer_; }

 private:
  // The tenant of the function, when `who` may invoke it.
  Result<std::string> CheckRequest(const Identity& who, const v1::GatewayInvokeRequest& request);
  // NOT_FOUND, as for an unknown function, unless `who` sees `tenant`.
  static Status CheckSees(const Identity& who, const std::string& tenant,
                          const std::string& function_name);

  const Options options_;
  Authorizer& authorizer_;
  Gateway& gateway_;
  AsyncQueue& queue_;
  FunctionRegistry& functions_;
  RunStore& runs_;
  Placer& placer_;
  std::function<void()> on_enqueue_;
};

}  // namespace tailor::scheduler
