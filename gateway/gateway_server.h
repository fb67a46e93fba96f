// The gateway process, as a library: the TLS listener agents dial, and the channel to the
// control plane. Stateless, so several can run side by side.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "gateway/agent_control_relay.h"

namespace warden::gateway {

struct GatewayOptions {
  std::string id;  // defaults to the host name
  std::string listen_agents = "127.0.0.1:7444";
  std::string controlplane = "127.0.0.1:7443";
  std::string ca_file;   // trusted to sign the control plane's certificate
  std::string tls_cert;  // served to agents
  std::string tls_key;
  std::string gateway_secret_file;
};

class GatewayServer {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<GatewayServer>> Start(GatewayOptions opts);
  void Shutdown();
  int agent_port() const { return agent_port_; }

 private:
  std::unique_ptr<grpcutil::ReconnectingStub<v1::ControlService>> control_;
  std::unique_ptr<AgentServiceImpl> agents_;
  std::unique_ptr<grpc::Server> server_;
  int agent_port_ = 0;
};

}  // namespace warden::gateway
