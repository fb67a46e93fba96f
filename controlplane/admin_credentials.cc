// AdminService's own credentials: admin tokens. Rotating one without downtime is create, switch
// wardenctl's config over, revoke the old one; the last working token cannot be revoked.
#include "common/log/log.h"
#include "common/util/status_macros.h"
#include "controlplane/admin_call.h"
#include "controlplane/admin_service.h"

namespace warden::controlplane {

grpc::Status AdminServiceImpl::CreateAdminToken(grpc::ServerContext* ctx,
                                                const v1::CreateAdminTokenRequest* req,
                                                v1::CreateAdminTokenResponse* resp) {
  ADMIN_CALL(ctx, {
    RETURN_IF_ERROR(ValidateName("admin token", req->name()));
    ASSIGN_OR_RETURN(auto created, stores_.admin_tokens.CreateListed(req->name()));
    *resp->mutable_info() = std::move(created.first);
    resp->set_token(std::move(created.second));
    spdlog::info("admin token {} ({}) created", resp->info().id(), req->name());
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::ListAdminTokens(grpc::ServerContext* ctx,
                                               const v1::ListAdminTokensRequest*,
                                               v1::ListAdminTokensResponse* resp) {
  ADMIN_CALL(ctx, {
    ASSIGN_OR_RETURN(auto tokens, stores_.admin_tokens.List());
    for (auto& t : tokens) *resp->add_tokens() = std::move(t);
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::RevokeAdminToken(grpc::ServerContext* ctx,
                                                const v1::RevokeAdminTokenRequest* req,
                                                v1::RevokeAdminTokenResponse* resp) {
  ADMIN_CALL(ctx, {
    ASSIGN_OR_RETURN(*resp->mutable_info(), stores_.admin_tokens.Revoke(req->id()));
    spdlog::info("admin token {} ({}) revoked", req->id(), resp->info().name());
    return absl::OkStatus();
  });
}

}  // namespace warden::controlplane
