#include "scheduler/registry_service.h"

#include "common/bundle_archive.h"
#include "common/hmac.h"
#include "common/names.h"
#include "proto/grpc_status.h"
#include "proto/validation.h"

namespace tailor::scheduler {

Status RegistryServiceImpl::CheckOwnFunction(const Identity& who, const std::string& name) {
  TAILOR_RETURN_IF_ERROR(CheckName(NameKind::kFunction, name, "name"));
  TAILOR_ASSIGN_OR_RETURN(const std::string tenant, registry_.TenantOf(name));
  if (!SeesTenant(who, tenant)) return NotFoundError("no function named '" + name + "'");
  return OkStatus();
}

namespace {

// The tenant a deploy goes into: the caller's own, or any an admin (or platform) names.
Result<std::string> DeployTenant(const Identity& who, const std::string& requested,
                                 std::string_view field = "header.tenant") {
  if (requested.empty()) return HomeTenant(who);
  TAILOR_RETURN_IF_ERROR(CheckName(NameKind::kTenant, requested, field));
  if (!SeesTenant(who, requested)) {
    return PermissionDeniedError(who.Describe() + " may not deploy into tenant " + requested);
  }
  return requested;
}

}  // namespace

grpc::Status RegistryServiceImpl::Deploy(grpc::ServerContext* context,
                                         grpc::ServerReader<v1::DeployChunk>* reader,
                                         v1::DeployResponse* response) {
  auto who = authorizer_.Check(*context, Action::kDeploy);
  if (!who.ok()) return ToGrpcStatus(who.status());
  const uint64_t limit = registry_.options().max_bundle_bytes;
  v1::DeployChunk chunk;
  if (!reader->Read(&chunk) || !chunk.has_header()) {
    return ToGrpcStatus(InvalidArgumentError("a deploy stream starts with a header chunk"));
  }
  const v1::DeployHeader header = chunk.header();
  auto tenant = DeployTenant(*who, header.tenant());
  if (!tenant.ok()) return ToGrpcStatus(tenant.status());
  if (!header.sha256().empty() && !IsSha256Hex(header.sha256())) {
    return ToGrpcStatus(InvalidArgumentError("header.sha256 must be 64 lower-case hex digits, got " +
                                             Excerpt(header.sha256()))
                            .WithField("header.sha256"));
  }
  if (header.size_bytes() > limit) {
    return ToGrpcStatus(ResourceExhaustedError(
        "bundle is " + std::to_string(header.size_bytes()) + " bytes; the limit is " +
        std::to_string(limit)));
  }
  std::string archive;
  archive.reserve(header.size_bytes());
  while (reader->Read(&chunk)) {
    if (!chunk.has_data()) {
      return ToGrpcStatus(InvalidArgumentError("only data chunks may follow the header"));
    }
    if (archive.size() + chunk.data().size() > limit) {
      return ToGrpcStatus(ResourceExhaustedError("bundle exceeds the limit of " +
                                                 std::to_string(limit) + " bytes"));
    }
    archive += chunk.data();
  }
  if (header.size_bytes() != 0 && archive.size() != header.size_bytes()) {
    return ToGrpcStatus(DataLossError("received " + std::to_string(archive.size()) +
                                      " bytes, the header announced " +
                                      std::to_string(header.size_bytes())));
  }
  auto deployed = registry_.Deploy(*tenant, archive, header.sha256());
  if (!deployed.ok()) return ToGrpcStatus(deployed.status());
  *response->mutable_function() = deployed->function;
  response->set_unchanged(deployed->unchanged);
  return grpc::Status::OK;
}

grpc::Status RegistryServiceImpl::RegisterFunction(grpc::ServerContext* context,
                                                   const v1::RegisterFunctionRequest* request,
                                                   v1::DeployResponse* response) {
  auto who = authorizer_.Check(*context, Action::kRegisterFunction);
  if (!who.ok()) return ToGrpcStatus(who.status());
  if (Status s = ValidateRegisterFunctionRequest(*request); !s.ok()) return ToGrpcStatus(s);
  auto tenant = DeployTenant(*who, request->tenant(), "tenant");
  if (!tenant.ok()) return ToGrpcStatus(tenant.status());
  auto registered = registry_.Register(*tenant, *request);
  if (!registered.ok()) return ToGrpcStatus(registered.status());
  *response->mutable_function() = registered->function;
  response->set_unchanged(registered->unchanged);
  return grpc::Status::OK;
}

grpc::Status RegistryServiceImpl::ListFunctions(grpc::ServerContext* context,
                                                const v1::ListFunctionsRequest* request,
                                                v1::ListFunctionsResponse* response) {
  auto who = authorizer_.Check(*context, Action::kListFunctions);
  if (!who.ok()) return ToGrpcStatus(who.status());
  for (auto& f : registry_.List(request->include_removed())) {
    if (!SeesTenant(*who, f.tenant())) continue;
    if (!request->tenant().empty() && f.tenant() != request->tenant()) continue;
    *response->add_functions() = std::move(f);
  }
  return grpc::Status::OK;
}

grpc::Status RegistryServiceImpl::RemoveFunction(grpc::ServerContext* context,
                                                 const v1::RemoveFunctionRequest* request,
                                                 v1::RemoveFunctionResponse* response) {
  auto who = authorizer_.Check(*context, Action::kDeploy);
  if (!who.ok()) return ToGrpcStatus(who.status());
  if (Status s = CheckOwnFunction(*who, request->name()); !s.ok()) return ToGrpcStatus(s);
  auto removed = registry_.Remove(request->name());
  if (!removed.ok()) return ToGrpcStatus(removed.status());
  response->set_versions_removed(*removed);
  return grpc::Status::OK;
}

grpc::Status RegistryServiceImpl::GetCallbackSecret(grpc::ServerContext* context,
                                                    const v1::GetCallbackSecretRequest* request,
                                                    v1::GetCallbackSecretResponse* response) {
  auto who = authorizer_.Check(*context, Action::kCallbackSecret);
  if (!who.ok()) return ToGrpcStatus(who.status());
  if (Status s = CheckOwnFunction(*who, request->function_name()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  auto secret = registry_.CallbackSecret(request->function_name());
  if (!secret.ok()) return ToGrpcStatus(secret.status());
  response->set_secret_hex(ToHex(*secret));
  return grpc::Status::OK;
}

grpc::Status RegistryServiceImpl::FetchBundle(grpc::ServerContext* context,
                                              const v1::FetchBundleRequest* request,
                                              grpc::ServerWriter<v1::BundleChunk>* writer) {
  if (auto who = authorizer_.Check(*context, Action::kFetchBundle); !who.ok()) {
    return ToGrpcStatus(who.status());
  }
  auto bytes = registry_.ReadBundle(request->digest());
  if (!bytes.ok()) return ToGrpcStatus(bytes.status());
  constexpr size_t kChunk = 1 << 20;
  for (size_t off = 0; off < bytes->size(); off += kChunk) {
    v1::BundleChunk chunk;
    chunk.set_data(bytes->substr(off, kChunk));
    if (!writer->Write(chunk)) return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
  }
  return grpc::Status::OK;
}

grpc::Status RegistryServiceImpl::CreateSchedule(grpc::ServerContext* context,
                                                 const v1::CreateScheduleRequest* request,
                                                 v1::Schedule* response) {
  auto who = authorizer_.Check(*context, Action::kDeploy);
  if (!who.ok()) return ToGrpcStatus(who.status());
  if (schedules_ == nullptr) return ToGrpcStatus(UnavailableError("no schedules here"));
  const v1::Schedule& s = request->schedule();
  if (Status own = CheckOwnFunction(*who, s.function_name()); !own.ok()) {
    return ToGrpcStatus(own.WithField("schedule.function_name"));
  }
  auto tenant = registry_.TenantOf(s.function_name());
  if (!tenant.ok()) return ToGrpcStatus(tenant.status());
  auto created = schedules_->Create(s, *tenant);
  if (!created.ok()) return ToGrpcStatus(created.status());
  *response = std::move(*created);
  return grpc::Status::OK;
}

grpc::Status RegistryServiceImpl::ListSchedules(grpc::ServerContext* context,
                                                const v1::ListSchedulesRequest*,
                                                v1::ListSchedulesResponse* response) {
  auto who = authorizer_.Check(*context, Action::kDeploy);
  if (!who.ok()) return ToGrpcStatus(who.status());
  if (schedules_ == nullptr) return ToGrpcStatus(UnavailableError("no schedules here"));
  auto all = schedules_->List();
  if (!all.ok()) return ToGrpcStatus(all.status());
  for (auto& s : *all) {
    if (SeesTenant(*who, s.tenant())) *response->add_schedules() = std::move(s);
  }
  return grpc::Status::OK;
}

grpc::Status RegistryServiceImpl::DeleteSchedule(grpc::ServerContext* context,
                                                 const v1::DeleteScheduleRequest* request,
                                                 v1::DeleteScheduleResponse*) {
  auto who = authorizer_.Check(*context, Action::kDeploy);
  if (!who.ok()) return ToGrpcStatus(who.status());
  if (schedules_ == nullptr) return ToGrpcStatus(UnavailableError("no schedules here"));
  if (Status s = CheckName(NameKind::kId, request->name(), "name"); !s.ok()) {
    return ToGrpcStatus(s);
  }
  auto found = schedules_->Get(request->name());
  if (!found.ok()) return ToGrpcStatus(found.status());
  if (!SeesTenant(*who, found->tenant())) {
    return ToGrpcStatus(NotFoundError("no schedule named '" + request->name() + "'"));
  }
  return ToGrpcStatus(schedules_->Delete(request->name()));
}

}  // namespace tailor::scheduler
