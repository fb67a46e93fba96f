// The gateway process, as a library: the TLS listener agents dial, and the channel to the
// control plane. Stateless, so several can run side by side.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "gateway/agent_control_relay.h"
#include "gateway/gateway_credential.h"
#include "gateway/listeners.h"
#include "gateway/session_reporter.h"

namespace warden::gateway {

struct GatewayOptions {
  std::string listen_agents = "127.0.0.1:7444";
  std::string controlplane = "127.0.0.1:7443";
  std::string ca_file;   // trusted to sign the control plane's certificate
  std::string tls_cert;  // served to agents
  std::string tls_key;
  std::string token_file;  // this gateway's token (wardenctl gateways create)
  std::string listen_postgres = "127.0.0.1:15432";
  std::string listen_tunnels = "127.0.0.1:7445";  // agents dial it for each session's tunnel
  std::string pg_tls_cert;                        // served to PostgreSQL clients; default: tls_cert
  std::string pg_tls_key;
  int io_threads = 1;
  // Connections that have not authenticated yet, on each listener (admission.h).
  AdmissionLimits admission;
  int auth_timeout_seconds = 10;
  bool allow_tokens_without_tls = false;
};

class GatewayServer {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<GatewayServer>> Start(GatewayOptions opts);
  void Shutdown();
  int agent_port() const { return agent_port_; }
  int postgres_port() const { return listeners_ ? listeners_->postgres_port() : 0; }
  int tunnel_port() const { return listeners_ ? listeners_->tunnel_port() : 0; }

 private:
  GatewayServer()
      : tls_(asio::ssl::context::tls_server), tunnel_tls_(asio::ssl::context::tls_server) {}
  asio::ssl::context tls_;         // for PostgreSQL clients
  asio::ssl::context tunnel_tls_;  // for agents' session tunnels
  std::unique_ptr<grpcutil::ReconnectingStub<v1::ControlService>> control_;
  std::unique_ptr<GatewayCredential> credential_;
  AgentLinks links_;
  std::unique_ptr<Admission> client_admission_;
  std::unique_ptr<Admission> tunnel_admission_;
  SessionRegistry sessions_;
  std::unique_ptr<GatewayContext> ctx_;
  std::unique_ptr<AgentServiceImpl> agents_;
  std::unique_ptr<Listeners> listeners_;
  std::unique_ptr<SessionReporter> reporter_;
  std::unique_ptr<grpc::Server> server_;
  int agent_port_ = 0;
};

}  // namespace warden::gateway
