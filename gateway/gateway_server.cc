#include "gateway/gateway_server.h"

#include <unistd.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/grpcutil/grpc_util.h"
#include "common/log/log.h"
#include "common/util/files.h"
#include "common/util/status_macros.h"

namespace warden::gateway {

absl::StatusOr<std::unique_ptr<GatewayServer>> GatewayServer::Start(GatewayOptions opts) {
  if (opts.id.empty()) {
    char host[256] = {};
    ::gethostname(host, sizeof(host) - 1);
    opts.id = host;
  }
  ASSIGN_OR_RETURN(std::string secret, ReadSecretFile(opts.gateway_secret_file));
  ASSIGN_OR_RETURN(auto client_creds, grpcutil::ClientTls(opts.ca_file));
  auto self = std::unique_ptr<GatewayServer>(new GatewayServer());
  self->control_ = std::make_unique<grpcutil::ReconnectingStub<v1::ControlService>>(
      opts.controlplane, client_creds);
  self->agents_ = std::make_unique<AgentServiceImpl>(*self->control_, opts.id, std::move(secret));
  ASSIGN_OR_RETURN(auto server_creds, grpcutil::ServerTls(opts.tls_cert, opts.tls_key));
  grpc::ServerBuilder builder;
  builder.AddListeningPort(opts.listen_agents, server_creds, &self->agent_port_);
  builder.RegisterService(self->agents_.get());
  grpcutil::ConfigureServerKeepalive(builder);
  self->server_ = builder.BuildAndStart();
  if (!self->server_ || self->agent_port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", opts.listen_agents, " (address in use?)"));
  }
  spdlog::info("gateway {} listening for agents on {}, control plane at {}", opts.id,
               opts.listen_agents, opts.controlplane);
  return self;
}

void GatewayServer::Shutdown() {
  if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
}

}  // namespace warden::gateway
