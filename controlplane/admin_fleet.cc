// AdminService's machines: agents (with the identity keys they prove) and gateways (with their
// own revocable tokens).
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/crypto/ed25519.h"
#include "common/crypto/token.h"
#include "common/log/log.h"
#include "common/util/status_macros.h"
#include "controlplane/admin_call.h"
#include "controlplane/admin_service.h"
#include "controlplane/session_ends.h"

namespace warden::controlplane {

namespace {

constexpr int64_t kMaxRotationGrace = 7 * 24 * 3600;

// "" stays "" (no key); anything else must be an ed25519:<base64> key.
absl::StatusOr<std::string> ParseOptionalKey(const std::string& text) {
  if (text.empty()) return std::string();
  auto raw = crypto::ParseEd25519KeyText(text);
  if (!raw.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--identity-key: ", raw.status().message(),
                     " (warden-agent --identity-key-file FILE --print-identity-key prints it)"));
  }
  return raw;
}

// How long a replaced token keeps working.
absl::StatusOr<int64_t> Grace(int64_t requested) {
  if (requested > kMaxRotationGrace) {
    return absl::InvalidArgumentError("--grace is at most 7 days (168h)");
  }
  return std::max<int64_t>(requested, 0);
}

}  // namespace

grpc::Status AdminServiceImpl::CreateAgent(grpc::ServerContext* ctx,
                                           const v1::CreateAgentRequest* req,
                                           v1::CreateAgentResponse* resp) {
  ADMIN_CALL(ctx, {
    RETURN_IF_ERROR(ValidateName("agent", req->name()));
    ASSIGN_OR_RETURN(std::string identity_key, ParseOptionalKey(req->identity_key()));
    if (identity_key.empty() == !req->trust_first_key()) {
      return absl::InvalidArgumentError(
          "give the agent's identity key (--identity-key ed25519:..., printed by warden-agent "
          "--identity-key-file FILE --print-identity-key) or, to enrol the first key proven with "
          "its token, --trust-first-key; not both");
    }
    std::string token = crypto::GenerateToken(crypto::kAgentTokenPrefix);
    ASSIGN_OR_RETURN(*resp->mutable_agent(),
                     stores_.agents.Create(req->name(), crypto::HashToken(token), identity_key,
                                           req->trust_first_key()));
    resp->set_token(token);
    resp->set_controlplane_key(crypto::Ed25519KeyText(controlplane_key_));
    spdlog::info("agent {} created{}", req->name(),
                 identity_key.empty()
                     ? ""
                     : absl::StrCat(" with identity key ", crypto::KeyFingerprint(identity_key)));
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::ListAgents(grpc::ServerContext* ctx, const v1::ListAgentsRequest*,
                                          v1::ListAgentsResponse* resp) {
  READ_CALL(ctx, {
    ASSIGN_OR_RETURN(auto agents, stores_.agents.List());
    for (auto& a : agents) *resp->add_agents() = std::move(a);
    ASSIGN_OR_RETURN(int64_t v, stores_.policies.CurrentVersion());
    resp->set_current_policy_version(v);
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::DeleteAgent(grpc::ServerContext* ctx,
                                           const v1::DeleteAgentRequest* req,
                                           v1::DeleteAgentResponse*) {
  ADMIN_CALL(ctx, {
    RETURN_IF_ERROR(stores_.agents.Delete(req->name()));
    agent_streams_.CancelAgent(req->name());
    spdlog::info("agent {} deleted", req->name());
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::ResetAgentKey(grpc::ServerContext* ctx,
                                             const v1::ResetAgentKeyRequest* req,
                                             v1::ResetAgentKeyResponse* resp) {
  ADMIN_CALL(ctx, {
    ASSIGN_OR_RETURN(std::string identity_key, ParseOptionalKey(req->identity_key()));
    ASSIGN_OR_RETURN(*resp->mutable_agent(),
                     stores_.agents.ResetIdentityKey(req->name(), identity_key));
    // The stream proved the old key: it ends now, and the agent must prove the new one.
    agent_streams_.CancelAgent(req->name());
    spdlog::warn("agent {}: identity key {}", req->name(),
                 identity_key.empty()
                     ? std::string("forgotten; the next key proven with its token is enrolled")
                     : absl::StrCat("replaced by ", crypto::KeyFingerprint(identity_key)));
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::RotateAgentToken(grpc::ServerContext* ctx,
                                                const v1::RotateAgentTokenRequest* req,
                                                v1::RotateAgentTokenResponse* resp) {
  ADMIN_CALL(ctx, {
    ASSIGN_OR_RETURN(const int64_t grace, Grace(req->grace_seconds()));
    std::string token = crypto::GenerateToken(crypto::kAgentTokenPrefix);
    ASSIGN_OR_RETURN(*resp->mutable_agent(),
                     stores_.agents.RotateToken(req->name(), crypto::HashToken(token), grace));
    resp->set_token(std::move(token));
    resp->set_previous_token_expires_unix(store::NowUnix() + grace);
    spdlog::info("agent {}: token rotated; the previous one works for {} s more", req->name(),
                 grace);
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::CreateGateway(grpc::ServerContext* ctx,
                                             const v1::CreateGatewayRequest* req,
                                             v1::CreateGatewayResponse* resp) {
  ADMIN_CALL(ctx, {
    RETURN_IF_ERROR(ValidateName("gateway", req->name()));
    ASSIGN_OR_RETURN(auto created, stores_.gateways.Create(req->name()));
    *resp->mutable_gateway() = std::move(created.first);
    resp->set_token(std::move(created.second));
    spdlog::info("gateway {} created", req->name());
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::ListGateways(grpc::ServerContext* ctx,
                                            const v1::ListGatewaysRequest*,
                                            v1::ListGatewaysResponse* resp) {
  READ_CALL(ctx, {
    ASSIGN_OR_RETURN(auto gateways, stores_.gateways.List());
    for (auto& g : gateways) *resp->add_gateways() = std::move(g);
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::RotateGatewayToken(grpc::ServerContext* ctx,
                                                  const v1::RotateGatewayTokenRequest* req,
                                                  v1::RotateGatewayTokenResponse* resp) {
  ADMIN_CALL(ctx, {
    ASSIGN_OR_RETURN(const int64_t grace, Grace(req->grace_seconds()));
    ASSIGN_OR_RETURN(auto rotated, stores_.gateways.Rotate(req->name(), grace));
    *resp->mutable_gateway() = std::move(rotated.first);
    resp->set_token(std::move(rotated.second));
    spdlog::info("gateway {}: token rotated; the previous one works for {} s more", req->name(),
                 grace);
    return absl::OkStatus();
  });
}

grpc::Status AdminServiceImpl::RevokeGateway(grpc::ServerContext* ctx,
                                             const v1::RevokeGatewayRequest* req,
                                             v1::RevokeGatewayResponse*) {
  ADMIN_CALL(ctx, {
    RETURN_IF_ERROR(stores_.gateways.Revoke(req->name()));
    // Nothing it relays may go on: the client sessions it carries end (recorded first), then its
    // agents' streams, after carrying those ends (agents reconnect through another gateway).
    EndSessions(GatewayRevoked(req->name()));
    agent_streams_.RevokeGateway(req->name());
    notifier_.Poke();
    spdlog::warn("gateway {} revoked", req->name());
    return absl::OkStatus();
  });
}

}  // namespace warden::controlplane
