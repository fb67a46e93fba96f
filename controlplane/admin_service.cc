#include "controlplane/admin_service.h"

#include <algorithm>
#include <set>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/crypto/token.h"
#include "common/grpcutil/grpc_util.h"
#include "common/log/log.h"
#include "common/log/rate_limit.h"
#include "common/policy/policy_yaml.h"
#include "common/util/status_macros.h"
#include "controlplane/admin_call.h"
#include "controlplane/session_ends.h"

namespace warden::controlplane {

using grpcutil::ToGrpc;

namespace {

constexpr int64_t kDefaultTokenTtl = 3600;
constexpr int64_t kMaxTokenTtl = 30 * 24 * 3600;
constexpr size_t kMaxSecretBytes = 4096;

absl::Status ValidateConnection(const v1::ConnectionInfo& c) {
  RETURN_IF_ERROR(ValidateName("connection", c.name()));
  if (c.protocol() != "postgres") {
    return absl::InvalidArgumentError(
        absl::StrCat("protocol \"", c.protocol(), "\" is not supported (supported: postgres)"));
  }
  if (c.agent().empty()) return absl::InvalidArgumentError("a connection needs an agent (--agent)");
  if (c.host().empty()) return absl::InvalidArgumentError("a connection needs a host (--host)");
  if (c.port() == 0 || c.port() > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("port ", c.port(), " is out of range 1-65535"));
  }
  if (c.database().empty()) {
    return absl::InvalidArgumentError("a connection needs a database (--database)");
  }
  const std::string& m = c.tls_mode();
  if (m != "disable" && m != "prefer" && m != "require" && m != "verify-full") {
    return absl::InvalidArgumentError(
        absl::StrCat("tls mode \"", m, "\" is not one of disable, prefer, require, verify-full"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateName(absl::string_view kind, absl::string_view name) {
  bool ok = !name.empty() && name.size() <= 63 && absl::ascii_isalnum(name[0]);
  for (char c : name) {
    ok = ok &&
         (absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-' || c == '_' || c == '.');
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(kind, " name \"", name,
                   "\" is invalid: use 1-63 lower-case letters, digits, '-', '_' or "
                   "'.', starting with a letter or digit"));
}

absl::Status GrantsAccess(const v1::AdminTokenInfo& token, AdminAccess need) {
  auto has = [&](std::string_view role) {
    return std::find(token.roles().begin(), token.roles().end(), role) != token.roles().end();
  };
  if (has("admin")) return absl::OkStatus();
  if (need == AdminAccess::kQueue && (has("auditor") || has("approver"))) {
    return absl::OkStatus();
  }
  if (need == AdminAccess::kRead && has("auditor")) return absl::OkStatus();
  if (need == AdminAccess::kApprove && has("approver")) return absl::OkStatus();
  const char* needed = need == AdminAccess::kRead      ? "admin or auditor"
                       : need == AdminAccess::kApprove ? "approver"
                       : need == AdminAccess::kQueue   ? "admin, auditor or approver"
                                                       : "admin";
  return absl::PermissionDeniedError(
      absl::StrCat("admin token \"", token.name(), "\" (", token.id(), ") has role ",
                   token.roles().empty() ? std::string("none") : absl::StrJoin(token.roles(), ", "),
                   "; this call needs role ", needed,
                   " (an admin issues one with: wardenctl admin-tokens create NAME --role ROLE)"));
}

absl::StatusOr<v1::AdminTokenInfo> AdminServiceImpl::CheckAccess(const grpc::ServerContext& ctx,
                                                                 AdminAccess need) {
  auto token = grpcutil::BearerToken(ctx);
  if (!token) {
    return absl::UnauthenticatedError(
        "missing admin token: send \"authorization: Bearer <admin token>\"");
  }
  absl::StatusOr<v1::AdminTokenInfo> info = stores_.admin_tokens.Authenticate(*token);
  absl::Status st = info.ok() ? GrantsAccess(*info, need) : info.status();
  static log::RateLimit limit;  // whoever reaches the port can cause these
  if (!st.ok()) {
    if (auto left_out = limit.Admit()) {
      spdlog::warn("admin call refused from {}: {}{}", ctx.peer(), st.message(),
                   log::LeftOut(*left_out));
    }
    return st;
  }
  return info;
}

grpc::Status AdminServiceImpl::CreateConnection(grpc::ServerContext* ctx,
                                                const v1::CreateConnectionRequest* req,
                                                v1::CreateConnectionResponse* resp) {
  ADMIN_CALL(ctx, {
    v1::ConnectionInfo c = req->connection();
    if (c.protocol().empty()) c.set_protocol("postgres");
    if (c.tls_mode().empty()) c.set_tls_mode("prefer");
    if (c.port() == 0) c.set_port(5432);
    RETURN_IF_ERROR(ValidateConnection(c));
    ASSIGN_OR_RETURN(*resp->mutable_connection(), stores_.connections.Create(c));
    spdlog::info("connection {} created (agent {})", c.name(), c.agent());
    notifier_.ConnectionsChanged();
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::ListConnections(grpc::ServerContext* ctx,
                                               const v1::ListConnectionsRequest*,
                                               v1::ListConnectionsResponse* resp) {
  READ_CALL(ctx, {
    ASSIGN_OR_RETURN(auto list, stores_.connections.List());
    for (auto& c : list) *resp->add_connections() = std::move(c);
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::GetConnection(grpc::ServerContext* ctx,
                                             const v1::GetConnectionRequest* req,
                                             v1::GetConnectionResponse* resp) {
  READ_CALL(ctx, {
    ASSIGN_OR_RETURN(*resp->mutable_connection(), stores_.connections.Get(req->name()));
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::DeleteConnection(grpc::ServerContext* ctx,
                                                const v1::DeleteConnectionRequest* req,
                                                v1::DeleteConnectionResponse*) {
  ADMIN_CALL(ctx, {
    RETURN_IF_ERROR(stores_.connections.Delete(req->name()));
    spdlog::info("connection {} deleted", req->name());
    notifier_.ConnectionsChanged();
    EndSessions(ConnectionDeleted(req->name()));
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::SetCredential(grpc::ServerContext* ctx,
                                             const v1::SetCredentialRequest* req,
                                             v1::SetCredentialResponse* resp) {
  ADMIN_CALL(ctx, {
    if (req->username().empty()) return absl::InvalidArgumentError("a credential needs a username");
    if (req->secret().empty()) return absl::InvalidArgumentError("the secret is empty");
    if (req->secret().size() > kMaxSecretBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("the secret is longer than ", kMaxSecretBytes, " bytes"));
    }
    RETURN_IF_ERROR(
        stores_.connections.SetCredential(req->connection(), req->username(), req->secret()));
    ASSIGN_OR_RETURN(*resp->mutable_connection(), stores_.connections.Get(req->connection()));
    spdlog::info("credential for connection {} set (user {})", req->connection(), req->username());
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::ApplyPolicy(grpc::ServerContext* ctx,
                                           const v1::ApplyPolicyRequest* req,
                                           v1::ApplyPolicyResponse* resp) {
  ADMIN_CALL(ctx, {
    std::string filename = req->filename().empty() ? "policy" : req->filename();
    ASSIGN_OR_RETURN(v1::Policy spec, policy::ParsePolicyYaml(req->source(), filename));
    ASSIGN_OR_RETURN(store::ApplyResult r, stores_.policies.Apply(spec, req->source()));
    *resp->mutable_policy() = std::move(r.policy);
    resp->set_changed(r.changed);
    resp->set_policy_version(r.version);
    if (r.changed) {
      spdlog::info("policy {} applied, policy version {}", spec.name(), r.version);
      notifier_.Publish(r.version);
      RETURN_IF_ERROR(EndSessionsWithoutPolicy());
    }
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::ListPolicies(grpc::ServerContext* ctx,
                                            const v1::ListPoliciesRequest*,
                                            v1::ListPoliciesResponse* resp) {
  READ_CALL(ctx, {
    ASSIGN_OR_RETURN(auto list, stores_.policies.List());
    for (auto& p : list) *resp->add_policies() = std::move(p);
    ASSIGN_OR_RETURN(int64_t v, stores_.policies.CurrentVersion());
    resp->set_policy_version(v);
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::GetPolicy(grpc::ServerContext* ctx, const v1::GetPolicyRequest* req,
                                         v1::GetPolicyResponse* resp) {
  READ_CALL(ctx, {
    ASSIGN_OR_RETURN(*resp->mutable_policy(), stores_.policies.Get(req->name()));
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::DeletePolicy(grpc::ServerContext* ctx,
                                            const v1::DeletePolicyRequest* req,
                                            v1::DeletePolicyResponse* resp) {
  ADMIN_CALL(ctx, {
    ASSIGN_OR_RETURN(int64_t v, stores_.policies.Delete(req->name()));
    resp->set_policy_version(v);
    spdlog::info("policy {} deleted, policy version {}", req->name(), v);
    notifier_.Publish(v);
    RETURN_IF_ERROR(EndSessionsWithoutPolicy());
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::CreateToken(grpc::ServerContext* ctx,
                                           const v1::CreateTokenRequest* req,
                                           v1::CreateTokenResponse* resp) {
  ADMIN_CALL(ctx, {
    RETURN_IF_ERROR(ValidateName("identity", req->identity()));
    std::vector<std::string> groups(req->groups().begin(), req->groups().end());
    for (const auto& g : groups) RETURN_IF_ERROR(ValidateName("group", g));
    int64_t ttl = req->ttl_seconds() == 0 ? kDefaultTokenTtl : req->ttl_seconds();
    if (ttl < 0 || ttl > kMaxTokenTtl) {
      return absl::InvalidArgumentError(
          absl::StrCat("ttl must be between 1 second and 30 days, got ", ttl, "s"));
    }
    ASSIGN_OR_RETURN(store::IssuedToken issued,
                     stores_.tokens.Create(req->identity(), groups, ttl));
    spdlog::info("token {} created for identity {}", issued.info.id(), req->identity());
    *resp->mutable_info() = std::move(issued.info);
    resp->set_token(std::move(issued.token));
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::ListTokens(grpc::ServerContext* ctx,
                                          const v1::ListTokensRequest* req,
                                          v1::ListTokensResponse* resp) {
  READ_CALL(ctx, {
    ASSIGN_OR_RETURN(auto list, stores_.tokens.List(req->identity()));
    for (auto& t : list) *resp->add_tokens() = std::move(t);
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::RevokeToken(grpc::ServerContext* ctx,
                                           const v1::RevokeTokenRequest* req,
                                           v1::RevokeTokenResponse* resp) {
  ADMIN_CALL(ctx, {
    ASSIGN_OR_RETURN(*resp->mutable_info(), stores_.tokens.Revoke(req->id()));
    spdlog::info("token {} revoked", req->id());
    EndSessions(TokenRevoked(req->id()));
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::ListSessions(grpc::ServerContext* ctx,
                                            const v1::ListSessionsRequest*,
                                            v1::ListSessionsResponse* resp) {
  READ_CALL(ctx, {
    for (auto& s : sessions_.List()) *resp->add_sessions() = std::move(s);
    return absl::OkStatus();
  });
}

void AdminServiceImpl::EndSessions(const LiveSessions::EndReason& why) {
  std::vector<v1::LiveSession> ended = sessions_.EndWhere(why);
  if (ended.empty()) return;
  notifier_.SessionsEnded();
  for (const v1::LiveSession& s : ended) {
    spdlog::info("session {} of {} on {} ended: its authorisation went", s.session_id(),
                 s.identity(), s.connection());
  }
}

absl::Status AdminServiceImpl::EndSessionsWithoutPolicy() {
  ASSIGN_OR_RETURN(v1::PolicySnapshot snapshot, stores_.policies.Snapshot());
  EndSessions(NoPolicyGrants(std::move(snapshot)));
  return absl::OkStatus();
}

grpc::Status AdminServiceImpl::KillSession(grpc::ServerContext* ctx,
                                           const v1::KillSessionRequest* req,
                                           v1::KillSessionResponse* resp) {
  ADMIN_CALL(ctx, {
    if (req->session_id().empty()) return absl::InvalidArgumentError("a session id is required");
    if (req->reason().size() > 1000) {
      return absl::InvalidArgumentError("the reason is longer than 1000 bytes");
    }
    // PostgreSQL's own words for pg_terminate_backend, so clients and poolers treat it alike.
    ASSIGN_OR_RETURN(*resp->mutable_session(),
                     sessions_.End(req->session_id(), AdminEnd(req->reason())));
    notifier_.SessionsEnded();
    spdlog::info("session {} of {} on {} ended by an admin{}{}", req->session_id(),
                 resp->session().identity(), resp->session().connection(),
                 req->reason().empty() ? "" : ": ", req->reason());
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::GetDecisionStats(grpc::ServerContext* ctx,
                                                const v1::GetDecisionStatsRequest* req,
                                                v1::GetDecisionStatsResponse* resp) {
  READ_CALL(ctx, {
    // Only agents that exist now: a deleted agent's last report is not shown.
    ASSIGN_OR_RETURN(auto agents, stores_.agents.List());
    std::set<std::string> names;
    for (const auto& a : agents) names.insert(a.name());
    if (!req->agent().empty() && !names.count(req->agent())) {
      return absl::NotFoundError(absl::StrCat("agent \"", req->agent(), "\" not found"));
    }
    for (auto& entry : decisions_.List(req->agent())) {
      if (names.count(entry.agent())) *resp->add_agents() = std::move(entry);
    }
    return absl::OkStatus();
  });
}

}  // namespace warden::controlplane
