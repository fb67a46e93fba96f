// AdminService's own credentials: admin tokens, each with the identity that presents it and its
// roles. Rotating one without downtime is create, switch wardenctl's config over, revoke the old
// one; the last working token with role admin cannot be revoked.
#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/log/log.h"
#include "common/util/status_macros.h"
#include "controlplane/admin_call.h"
#include "controlplane/admin_service.h"

namespace warden::controlplane {

namespace {

// The new token's info from the request: roles default to admin; an approver must name the
// identity its decisions are recorded under.
absl::StatusOr<v1::AdminTokenInfo> AdminTokenSpec(const v1::CreateAdminTokenRequest& req) {
  RETURN_IF_ERROR(ValidateName("admin token", req.name()));
  v1::AdminTokenInfo spec;
  spec.set_name(req.name());
  if (!req.identity().empty()) RETURN_IF_ERROR(ValidateName("identity", req.identity()));
  spec.set_identity(req.identity());
  for (const std::string& g : req.groups()) {
    RETURN_IF_ERROR(ValidateName("group", g));
    spec.add_groups(g);
  }
  static const std::set<std::string> kRoles = {"admin", "approver", "auditor"};
  std::set<std::string> roles;
  for (const std::string& r : req.roles()) {
    if (!kRoles.contains(r)) {
      return absl::InvalidArgumentError(
          absl::StrCat("role \"", r, "\" is not one of ", absl::StrJoin(kRoles, ", ")));
    }
    if (roles.insert(r).second) spec.add_roles(r);
  }
  if (roles.empty()) spec.add_roles("admin");
  if (!req.email().empty()) {
    // One plain address: it goes into a mail's envelope and To header.
    const std::string& e = req.email();
    const size_t at = e.find('@');
    const bool plain = e.size() <= 254 && at != std::string::npos && at > 0 && at + 1 < e.size() &&
                       e.find('@', at + 1) == std::string::npos &&
                       std::all_of(e.begin(), e.end(), [](char c) {
                         return c > ' ' && c < 0x7f && c != '<' && c != '>' && c != ',' &&
                                c != '"' && c != '(' && c != ')' && c != ';' && c != '\\';
                       });
    if (!plain) {
      return absl::InvalidArgumentError(
          absl::StrCat("--email \"", e, "\" is not one plain address such as alice@example.com"));
    }
    spec.set_email(e);
  }
  if (roles.contains("approver") && spec.identity().empty()) {
    return absl::InvalidArgumentError(
        "a token with role approver needs --identity: every approval is recorded under who "
        "gave it, and a requester may never approve their own statement");
  }
  return spec;
}

}  // namespace

grpc::Status AdminServiceImpl::CreateAdminToken(grpc::ServerContext* ctx,
                                                const v1::CreateAdminTokenRequest* req,
                                                v1::CreateAdminTokenResponse* resp) {
  ADMIN_CALL(ctx, {
    ASSIGN_OR_RETURN(v1::AdminTokenInfo spec, AdminTokenSpec(*req));
    ASSIGN_OR_RETURN(auto created, stores_.admin_tokens.CreateListed(spec));
    *resp->mutable_info() = std::move(created.first);
    resp->set_token(std::move(created.second));
    spdlog::info(
        "admin token {} ({}) created by {} with roles {}{}", resp->info().id(), req->name(),
        caller.name(), absl::StrJoin(resp->info().roles(), ","),
        resp->info().identity().empty() ? "" : absl::StrCat(" for ", resp->info().identity()));
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
