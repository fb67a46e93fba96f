#include "gateway/gateway_server.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/grpcutil/grpc_util.h"
#include "common/log/log.h"
#include "common/util/files.h"
#include "common/util/status_macros.h"

namespace warden::gateway {

namespace {

absl::Status ConfigureServerTls(asio::ssl::context& tls, const std::string& cert,
                                const std::string& key) {
  asio::error_code ec;
  tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                      asio::ssl::context::no_tlsv1_1,
                  ec);
  // A connection still authenticating (a slow or stuck handshake) gives its read and write
  // buffers back whenever they empty: memory per unauthenticated connection stays small. A
  // session keeps them once it relays statements (MaybeTlsStream::KeepTlsBuffers).
  SSL_CTX_set_mode(tls.native_handle(), SSL_MODE_RELEASE_BUFFERS);
  if (!ec) tls.use_certificate_chain_file(cert, ec);
  if (ec)
    return absl::InvalidArgumentError(absl::StrCat("TLS certificate ", cert, ": ", ec.message()));
  tls.use_private_key_file(key, asio::ssl::context::pem, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("TLS key ", key, ": ", ec.message()));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<GatewayServer>> GatewayServer::Start(GatewayOptions opts) {
  ASSIGN_OR_RETURN(auto client_creds, grpcutil::ClientTls(opts.ca_file));
  auto self = std::unique_ptr<GatewayServer>(new GatewayServer());
  ASSIGN_OR_RETURN(self->credential_, GatewayCredential::Load(opts.token_file));
  self->control_ = std::make_unique<grpcutil::ReconnectingStub<v1::ControlService>>(
      opts.controlplane, client_creds);
  RETURN_IF_ERROR(ConfigureServerTls(self->tls_,
                                     opts.pg_tls_cert.empty() ? opts.tls_cert : opts.pg_tls_cert,
                                     opts.pg_tls_key.empty() ? opts.tls_key : opts.pg_tls_key));
  RETURN_IF_ERROR(ConfigureServerTls(self->tunnel_tls_, opts.tls_cert, opts.tls_key));
  if (opts.admission.global < 1 || opts.admission.per_source < 1 || opts.auth_timeout_seconds < 1) {
    return absl::InvalidArgumentError(
        "--max-unauthenticated, --max-unauthenticated-per-source and --auth-timeout must be at "
        "least 1");
  }
  opts.admission.reserved = opts.admission.global;
  self->client_admission_ = std::make_unique<Admission>(opts.admission);
  self->tunnel_admission_ = std::make_unique<Admission>(opts.admission);
  self->ctx_ = std::unique_ptr<GatewayContext>(new GatewayContext{
      self->tls_, *self->control_, self->links_, self->sessions_, *self->credential_});
  self->ctx_->client_admission = self->client_admission_.get();
  self->ctx_->tunnel_admission = self->tunnel_admission_.get();
  self->ctx_->auth_timeout = std::chrono::seconds(opts.auth_timeout_seconds);
  self->ctx_->allow_tokens_without_tls = opts.allow_tokens_without_tls;
  self->agents_ = std::make_unique<AgentServiceImpl>(
      *self->control_, self->links_, *self->credential_, self->tunnel_admission_.get());
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
  spdlog::info("gateway listening for agents on {}, control plane at {}",
               grpcutil::BoundAddress(opts.listen_agents, self->agent_port_), opts.controlplane);
  ASSIGN_OR_RETURN(self->listeners_,
                   Listeners::Start({opts.listen_postgres, opts.listen_tunnels, opts.io_threads},
                                    *self->ctx_, self->tunnel_tls_));
  self->reporter_ =
      std::make_unique<SessionReporter>(*self->control_, self->sessions_, *self->credential_);
  return self;
}

void GatewayServer::Shutdown() {
  reporter_.reset();
  if (listeners_) listeners_->Stop();
  if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
}

}  // namespace warden::gateway
