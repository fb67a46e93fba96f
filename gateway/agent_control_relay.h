// AgentService.Control on the gateway: relays one agent's control stream to the control
// plane's ControlService.AgentControl, unchanged in both directions. The gateway does not
// judge the agent token; it passes it on, with its own credential, to the control plane. The
// agent and the control plane authenticate each other through it (Challenge, RegisterProof,
// SignedDirective in agent.proto): the gateway reads what it must (the agent's name in the signed
// Welcome) and can alter nothing unnoticed.
#pragma once

#include <memory>
#include <string>

#include "common/grpcutil/grpc_util.h"
#include "gateway/admission.h"
#include "gateway/agent_links.h"
#include "gateway/gateway_credential.h"
#include "warden/v1/agent.grpc.pb.h"
#include "warden/v1/control.grpc.pb.h"

namespace warden::gateway {

// Control runs on the sync API: one stream per agent, few agents. Client sessions do not use
// gRPC at all: their bytes take the data-plane tunnel (gateway/tunnel_listener.h).
class AgentServiceImpl final : public v1::AgentService::Service {
 public:
  // `tunnels`, when given, trusts the host of every linked agent: its session tunnels draw on
  // the reserve strangers cannot fill (admission.h).
  AgentServiceImpl(grpcutil::ReconnectingStub<v1::ControlService>& control, AgentLinks& links,
                   GatewayCredential& credential, Admission* tunnels = nullptr)
      : control_(control), links_(links), credential_(credential), tunnels_(tunnels) {}

  grpc::Status Control(
      grpc::ServerContext* ctx,
      grpc::ServerReaderWriter<v1::AgentDirective, v1::AgentMessage>* agent) override;

 private:
  grpcutil::ReconnectingStub<v1::ControlService>& control_;
  AgentLinks& links_;
  GatewayCredential& credential_;
  Admission* tunnels_;
};

}  // namespace warden::gateway
