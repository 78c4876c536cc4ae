// AccessServiceImpl: tailor.v1.Access over AccessTokens: WhoAmI for anyone authenticated,
// token management for admins (authorizer.h).
//
// Thread-safety: called concurrently by gRPC; AccessTokens and Authorizer are thread-safe.
#pragma once

#include "scheduler/access_tokens.h"
#include "scheduler/authorizer.h"
#include "tailor/v1/access.grpc.pb.h"

namespace tailor::scheduler {

class AccessServiceImpl final : public v1::Access::Service {
 public:
  // `tokens` is null when the scheduler runs insecure (token calls are then FAILED_PRECONDITION).
  AccessServiceImpl(Authorizer& authorizer, AccessTokens* tokens)
      : authorizer_(authorizer), tokens_(tokens) {}

  grpc::Status WhoAmI(grpc::ServerContext* context, const v1::WhoAmIRequest* request,
                      v1::WhoAmIResponse* response) override;
  grpc::Status CreateToken(grpc::ServerContext* context, const v1::CreateTokenRequest* request,
                           v1::CreateTokenResponse* response) override;
  grpc::Status ListTokens(grpc::ServerContext* context, const v1::ListTokensRequest* request,
                          v1::ListTokensResponse* response) override;
  grpc::Status RevokeToken(grpc::ServerContext* context, const v1::RevokeTokenRequest* request,
                           v1::RevokeTokenResponse* response) override;

 private:
  // The admin making a token call, or why not.
  Status CheckTokenCall(const grpc::ServerContext& context);

  Authorizer& authorizer_;
  AccessTokens* tokens_;
};

}  // namespace tailor::scheduler
