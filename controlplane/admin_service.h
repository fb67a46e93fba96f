// AdminService (see proto/warden/v1/admin.proto): what wardenctl talks to. Every method checks
// the admin token first.
#pragma once

#include "controlplane/agent_registry.h"
#include "controlplane/approval_queue.h"
#include "controlplane/decision_stats.h"
#include "controlplane/live_sessions.h"
#include "controlplane/policy_notifier.h"
#include "controlplane/stores.h"
#include "warden/v1/admin.grpc.pb.h"

namespace warden::controlplane {

// What an AdminService call does, for the roles that may make it (admin.proto).
enum class AdminAccess {
  kAdmin,    // changes something, or reads secrets' metadata (admin tokens)
  kRead,     // only reads: admin or auditor
  kQueue,    // reads the approval queue: any role
  kApprove,  // decides in the approval queue: passes admin or approver here, and then
             // approval_rules.h's MayDecide requires role approver
};

class AdminServiceImpl final : public v1::AdminService::Service {
 public:
  // controlplane_key: the public key agents pin (CreateAgentResponse.controlplane_key).
  AdminServiceImpl(Stores& stores, PolicyNotifier& notifier, LiveSessions& sessions,
                   const DecisionStats& decisions, AgentRegistry& agent_streams,
                   ApprovalQueue& approvals, std::string controlplane_key)
      : stores_(stores),
        notifier_(notifier),
        sessions_(sessions),
        decisions_(decisions),
        agent_streams_(agent_streams),
        approvals_(approvals),
        controlplane_key_(std::move(controlplane_key)) {}

  grpc::Status CreateAgent(grpc::ServerContext*, const v1::CreateAgentRequest*,
                           v1::CreateAgentResponse*) override;
  grpc::Status ListAgents(grpc::ServerContext*, const v1::ListAgentsRequest*,
                          v1::ListAgentsResponse*) override;
  grpc::Status DeleteAgent(grpc::ServerContext*, const v1::DeleteAgentRequest*,
                           v1::DeleteAgentResponse*) override;
  grpc::Status ResetAgentKey(grpc::ServerContext*, const v1::ResetAgentKeyRequest*,
                             v1::ResetAgentKeyResponse*) override;
  grpc::Status RotateAgentToken(grpc::ServerContext*, const v1::RotateAgentTokenRequest*,
                                v1::RotateAgentTokenResponse*) override;
  grpc::Status CreateAdminToken(grpc::ServerContext*, const v1::CreateAdminTokenRequest*,
                                v1::CreateAdminTokenResponse*) override;
  grpc::Status ListAdminTokens(grpc::ServerContext*, const v1::ListAdminTokensRequest*,
                               v1::ListAdminTokensResponse*) override;
  grpc::Status RevokeAdminToken(grpc::ServerContext*, const v1::RevokeAdminTokenRequest*,
                                v1::RevokeAdminTokenResponse*) override;
  grpc::Status CreateGateway(grpc::ServerContext*, const v1::CreateGatewayRequest*,
                             v1::CreateGatewayResponse*) override;
  grpc::Status ListGateways(grpc::ServerContext*, const v1::ListGatewaysRequest*,
                            v1::ListGatewaysResponse*) override;
  grpc::Status RotateGatewayToken(grpc::ServerContext*, const v1::RotateGatewayTokenRequest*,
                                  v1::RotateGatewayTokenResponse*) override;
  grpc::Status RevokeGateway(grpc::ServerContext*, const v1::RevokeGatewayRequest*,
                             v1::RevokeGatewayResponse*) override;
  grpc::Status CreateConnection(grpc::ServerContext*, const v1::CreateConnectionRequest*,
                                v1::CreateConnectionResponse*) override;
  grpc::Status ListConnections(grpc::ServerContext*, const v1::ListConnectionsRequest*,
                               v1::ListConnectionsResponse*) override;
  grpc::Status GetConnection(grpc::ServerContext*, const v1::GetConnectionRequest*,
                             v1::GetConnectionResponse*) override;
  grpc::Status DeleteConnection(grpc::ServerContext*, const v1::DeleteConnectionRequest*,
                                v1::DeleteConnectionResponse*) override;
  grpc::Status SetCredential(grpc::ServerContext*, const v1::SetCredentialRequest*,
                             v1::SetCredentialResponse*) override;
  grpc::Status ApplyPolicy(grpc::ServerContext*, const v1::ApplyPolicyRequest*,
                           v1::ApplyPolicyResponse*) override;
  grpc::Status ListPolicies(grpc::ServerContext*, const v1::ListPoliciesRequest*,
                            v1::ListPoliciesResponse*) override;
  grpc::Status GetPolicy(grpc::ServerContext*, const v1::GetPolicyRequest*,
                         v1::GetPolicyResponse*) override;
  grpc::Status DeletePolicy(grpc::ServerContext*, const v1::DeletePolicyRequest*,
                            v1::DeletePolicyResponse*) override;
  grpc::Status CreateToken(grpc::ServerContext*, const v1::CreateTokenRequest*,
                           v1::CreateTokenResponse*) override;
  grpc::Status ListTokens(grpc::ServerContext*, const v1::ListTokensRequest*,
                          v1::ListTokensResponse*) override;
  grpc::Status RevokeToken(grpc::ServerContext*, const v1::RevokeTokenRequest*,
                           v1::RevokeTokenResponse*) override;
  grpc::Status ListSessions(grpc::ServerContext*, const v1::ListSessionsRequest*,
                            v1::ListSessionsResponse*) override;
  grpc::Status KillSession(grpc::ServerContext*, const v1::KillSessionRequest*,
                           v1::KillSessionResponse*) override;
  grpc::Status GetDecisionStats(grpc::ServerContext*, const v1::GetDecisionStatsRequest*,
                                v1::GetDecisionStatsResponse*) override;
  // admin_approvals.cc
  grpc::Status ListApprovals(grpc::ServerContext*, const v1::ListApprovalsRequest*,
                             v1::ListApprovalsResponse*) override;
  grpc::Status GetApproval(grpc::ServerContext*, const v1::GetApprovalRequest*,
                           v1::GetApprovalResponse*) override;
  grpc::Status DecideApproval(grpc::ServerContext*, const v1::DecideApprovalRequest*,
                              v1::DecideApprovalResponse*) override;
  grpc::Status WatchApprovals(grpc::ServerContext*, const v1::ListApprovalsRequest*,
                              grpc::ServerWriter<v1::ApprovalRequest>*) override;

 private:
  // The caller's admin token, if it is valid and one of its roles grants `need`.
  absl::StatusOr<v1::AdminTokenInfo> CheckAccess(const grpc::ServerContext& ctx, AdminAccess need);
  // Ends the live sessions `why` names and wakes the agent streams to carry it out.
  void EndSessions(const LiveSessions::EndReason& why);
  // After a policy change: ends the sessions no policy grants access any more.
  absl::Status EndSessionsWithoutPolicy();
  Stores& stores_;
  PolicyNotifier& notifier_;
  LiveSessions& sessions_;
  const DecisionStats& decisions_;
  AgentRegistry& agent_streams_;
  ApprovalQueue& approvals_;
  std::string controlplane_key_;
};

// Names of agents, connections and identities: what fits in a URL, a log line and a
// PostgreSQL database name without quoting.
absl::Status ValidateName(absl::string_view kind, absl::string_view name);

// Whether an admin token's roles grant `need`: "admin" grants everything, "auditor" kRead and
// kQueue, "approver" kQueue and kApprove. PermissionDenied otherwise, naming the token, its roles
// and the role the call needs.
absl::Status GrantsAccess(const v1::AdminTokenInfo& token, AdminAccess need);

}  // namespace warden::controlplane
