// RegistryServiceImpl: tailor.v1.Registry over FunctionRegistry. Deploy reads the client
// stream into memory up to the registry's size limit (RESOURCE_EXHAUSTED beyond it, before
// reading further); FetchBundle streams archives out in 1 MiB chunks.
//
// Access (authorizer.h): deploy, remove and callback secrets need a deployer, in its own
// tenant (an admin names any); RegisterFunction a deployer or a platform (which registers into
// "default" unless it names a tenant); listing shows the tenants the caller sees; bundles go to
// nodes and admins. Another tenant's function is NOT_FOUND. Schedules need a deployer: one is
// made for a function the caller sees and belongs to that function's tenant; a schedule of
// another tenant is NOT_FOUND.
//
// Thread-safety: called concurrently by gRPC; FunctionRegistry is thread-safe.
#pragma once

#include <functional>

#include "scheduler/authorizer.h"
#include "scheduler/function_registry.h"
#include "scheduler/schedules.h"
#include "tailor/v1/registry.grpc.pb.h"

namespace tailor::scheduler {

class RegistryServiceImpl final : public v1::Registry::Service {
 public:
  // `schedules` may be null: the schedule RPCs then answer UNAVAILABLE (the scheduler always
  // passes them; tests of the other RPCs need not).
  RegistryServiceImpl(Authorizer& authorizer, FunctionRegistry& registry,
                      Schedules* schedules = nullptr)
      : authorizer_(authorizer), registry_(registry), schedules_(schedules) {}

  grpc::Status Deploy(grpc::ServerContext* context, grpc::ServerReader<v1::DeployChunk>* reader,
                      v1::DeployResponse* response) override;
  grpc::Status RegisterFunction(grpc::ServerContext* context,
                                const v1::RegisterFunctionRequest* request,
                                v1::DeployResponse* response) override;
  grpc::Status ListFunctions(grpc::ServerContext* context, const v1::ListFunctionsRequest* request,
                             v1::ListFunctionsResponse* response) override;
  grpc::Status RemoveFunction(grpc::ServerContext* context,
                              const v1::RemoveFunctionRequest* request,
                              v1::RemoveFunctionResponse* response) override;
  grpc::Status FetchBundle(grpc::ServerContext* context, const v1::FetchBundleRequest* request,
                           grpc::ServerWriter<v1::BundleChunk>* writer) override;
  grpc::Status GetCallbackSecret(grpc::ServerContext* context,
                                 const v1::GetCallbackSecretRequest* request,
                                 v1::GetCallbackSecretResponse* response) override;
  grpc::Status CreateSchedule(grpc::ServerContext* context,
                              const v1::CreateScheduleRequest* request,
                              v1::Schedule* response) override;
  grpc::Status ListSchedules(grpc::ServerContext* context, const v1::ListSchedulesRequest* request,
                             v1::ListSchedulesResponse* response) override;
  grpc::Status DeleteSchedule(grpc::ServerContext* context,
                              const v1::DeleteScheduleRequest* request,
                              v1::DeleteScheduleResponse* response) override;

 private:
  // NOT_FOUND unless `name` is a function `who` sees.
  Status CheckOwnFunction(const Identity& who, const std::string& name);

  Authorizer& authorizer_;
  FunctionRegistry& registry_;
  Schedules* schedules_;
};

}  // namespace tailor::scheduler
