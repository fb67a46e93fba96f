// ControlService (see proto/warden/v1/control.proto): served to gateways only. It holds the
// relayed agent control streams and answers Authorize for the data path.
#pragma once

#include <string>

#include "controlplane/agent_proof.h"
#include "controlplane/agent_registry.h"
#include "controlplane/approval_queue.h"
#include "controlplane/decision_stats.h"
#include "controlplane/live_sessions.h"
#include "controlplane/policy_notifier.h"
#include "controlplane/stores.h"
#include "warden/v1/control.grpc.pb.h"

namespace warden::controlplane {

class ControlServiceImpl final : public v1::ControlService::Service {
 public:
  // signing_key: the control plane's Ed25519 seed (store/server_key_store.h).
  ControlServiceImpl(Stores& stores, PolicyNotifier& notifier, LiveSessions& sessions,
                     DecisionStats& decisions, AgentRegistry& registry, ApprovalQueue& approvals,
                     std::string signing_key, std::string masking_key);
  ~ControlServiceImpl() override;

  // How long an agent has to answer the challenge.
  static constexpr std::chrono::seconds kProofDeadline{10};
  // A signed directive at least this often on every agent stream.
  static constexpr std::chrono::seconds kSignedHeartbeat{5};

  grpc::Status AgentControl(
      grpc::ServerContext* ctx,
      grpc::ServerReaderWriter<v1::AgentDirective, v1::AgentMessage>* stream) override;
  grpc::Status Authorize(grpc::ServerContext* ctx, const v1::AuthorizeRequest* req,
                         v1::AuthorizeResponse* resp) override;
  grpc::Status ReportSessions(grpc::ServerContext* ctx, const v1::ReportSessionsRequest* req,
                              v1::ReportSessionsResponse* resp) override;

  // The public half of the signing key, which agents pin.
  const std::string& controlplane_key() const { return controlplane_key_; }

 private:
  // The name of the gateway whose token the call carries.
  absl::StatusOr<std::string> AuthenticateGateway(const grpc::ServerContext& ctx);
  absl::StatusOr<store::AgentIdentity> AuthenticateAgent(const grpc::ServerContext& ctx);
  // The connection's credential, sealed to its agent's key for this session only.
  // Also signs it into resp (AuthorizeResponse.credential_signature).
  absl::Status SealCredentialForAgent(const v1::ConnectionInfo& conn, const store::Principal& who,
                                      const std::string& agent_key, v1::AuthorizeResponse* resp);
  // Seals the masking key to the agent's X25519 key into *snap; without a usable key the
  // snapshot goes without it, and the agent's hash rules redact (fail closed).
  void SealMaskingKey(const store::AgentIdentity& agent, const std::string& agent_key,
                      v1::PolicySnapshot* snap);
  absl::StatusOr<v1::AgentDirective> WelcomeFor(const store::AgentIdentity& agent,
                                                const std::string& gateway);
  // ProveAgent within kProofDeadline, then checks that nothing that vouched for the stream went
  // meanwhile, and records the agent connected with the keys it proved.
  absl::StatusOr<ProvenAgent> AdmitAgent(grpc::ServerContext* ctx, AgentStream* stream,
                                         const store::AgentIdentity& agent,
                                         const std::string& gateway);
  absl::Status ServeAgent(grpc::ServerContext* ctx, const store::AgentIdentity& agent,
                          const std::string& gateway, const ProvenAgent& proven,
                          uint64_t generation, AgentStream* stream);

  Stores& stores_;
  PolicyNotifier& notifier_;
  LiveSessions& sessions_;
  ApprovalQueue& approvals_;
  DecisionStats& decisions_;
  AgentRegistry& registry_;
  std::string signing_key_;  // never logged; see store/server_key_store.h
  std::string controlplane_key_;
  std::string masking_key_;  // never logged
};

}  // namespace warden::controlplane
