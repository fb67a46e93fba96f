// ControlService (see proto/warden/v1/control.proto): served to gateways only. It holds the
// relayed agent control streams and answers Authorize for the data path.
#pragma once

#include <string>

#include "controlplane/agent_registry.h"
#include "controlplane/decision_stats.h"
#include "controlplane/live_sessions.h"
#include "controlplane/policy_notifier.h"
#include "controlplane/stores.h"
#include "warden/v1/control.grpc.pb.h"

namespace warden::controlplane {

class ControlServiceImpl final : public v1::ControlService::Service {
 public:
  ControlServiceImpl(Stores& stores, PolicyNotifier& notifier, LiveSessions& sessions,
                     DecisionStats& decisions, std::string gateway_secret, std::string masking_key)
      : stores_(stores),
        notifier_(notifier),
        sessions_(sessions),
        decisions_(decisions),
        gateway_secret_(std::move(gateway_secret)),
        masking_key_(std::move(masking_key)) {}
  ~ControlServiceImpl() override;

  grpc::Status AgentControl(
      grpc::ServerContext* ctx,
      grpc::ServerReaderWriter<v1::AgentDirective, v1::AgentMessage>* stream) override;
  grpc::Status Authorize(grpc::ServerContext* ctx, const v1::AuthorizeRequest* req,
                         v1::AuthorizeResponse* resp) override;
  grpc::Status ReportSessions(grpc::ServerContext* ctx, const v1::ReportSessionsRequest* req,
                              v1::ReportSessionsResponse* resp) override;

 private:
  absl::Status CheckGateway(const grpc::ServerContext& ctx);
  absl::StatusOr<store::AgentIdentity> AuthenticateAgent(const grpc::ServerContext& ctx);
  // The connection's credential, sealed to its agent's key for this session only.
  absl::StatusOr<std::string> SealCredentialForAgent(const v1::ConnectionInfo& conn,
                                                     const std::string& session_id,
                                                     const store::Principal& who,
                                                     const std::string& agent_key);
  // Seals the masking key to the agent's X25519 key into *snap; without a usable key the
  // snapshot goes without it, and the agent's hash rules redact (fail closed).
  void SealMaskingKey(const store::AgentIdentity& agent, const std::string& agent_key,
                      v1::PolicySnapshot* snap);
  absl::StatusOr<v1::AgentDirective> WelcomeFor(const store::AgentIdentity& agent,
                                                const std::string& gateway);
  absl::Status ServeAgent(grpc::ServerContext* ctx, const store::AgentIdentity& agent,
                          grpc::ServerReaderWriter<v1::AgentDirective, v1::AgentMessage>* stream);

  Stores& stores_;
  PolicyNotifier& notifier_;
  LiveSessions& sessions_;
  DecisionStats& decisions_;
  AgentRegistry registry_;
  std::string gateway_secret_;
  std::string masking_key_;  // never logged; see store/masking_key_store.h
};

}  // namespace warden::controlplane
