// AgentService.Control on the gateway: relays one agent's control stream to the control
// plane's ControlService.AgentControl, unchanged in both directions. The gateway does not
// judge the agent token; it passes it on, with its own credential, to the control plane.
#pragma once

#include <memory>
#include <string>

#include "common/grpcutil/grpc_util.h"
#include "gateway/admission.h"
#include "gateway/agent_links.h"
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
                   std::string gateway_id, std::string gateway_secret, Admission* tunnels = nullptr)
      : control_(control),
        links_(links),
        gateway_id_(std::move(gateway_id)),
        gateway_secret_(std::move(gateway_secret)),
        tunnels_(tunnels) {}

  grpc::Status Control(
      grpc::ServerContext* ctx,
      grpc::ServerReaderWriter<v1::AgentDirective, v1::AgentMessage>* agent) override;

 private:
  grpcutil::ReconnectingStub<v1::ControlService>& control_;
  AgentLinks& links_;
  std::string gateway_id_;
  std::string gateway_secret_;
  Admission* tunnels_;
};

}  // namespace warden::gateway
