// warden-gateway: the network edge that agents (and, next, clients) reach (DESIGN.md §1).
#include <CLI/CLI.hpp>
#include <cstdio>

#include "common/log/log.h"
#include "common/util/file_limit.h"
#include "common/util/signals.h"
#include "gateway/gateway_server.h"

int main(int argc, char** argv) {
  warden::gateway::GatewayOptions opts;
  std::string log_level = "info";
  CLI::App app{"warden-gateway: Warden's network edge for agents and clients"};
  app.set_version_flag("--version", std::string("warden-gateway ") + WARDEN_VERSION);
  app.add_option("--listen-agents", opts.listen_agents, "address agents dial")
      ->capture_default_str();
  app.add_option("--controlplane", opts.controlplane, "control plane address")
      ->capture_default_str();
  app.add_option("--ca-file", opts.ca_file, "CA that signed the control plane's certificate")
      ->required();
  app.add_option("--tls-cert", opts.tls_cert, "certificate served to agents (PEM)")->required();
  app.add_option("--tls-key", opts.tls_key, "key for --tls-cert (PEM)")->required();
  app.add_option("--token-file", opts.token_file,
                 "file holding this gateway's token (wardenctl gateways create NAME); re-read "
                 "when it changes, for wardenctl gateways rotate")
      ->required();
  app.add_option("--listen-postgres", opts.listen_postgres, "address PostgreSQL clients connect to")
      ->capture_default_str();
  app.add_option("--listen-tunnels", opts.listen_tunnels,
                 "address agents dial for session tunnels (TLS with --tls-cert)")
      ->capture_default_str();
  app.add_option("--pg-tls-cert", opts.pg_tls_cert,
                 "certificate for PostgreSQL clients (default: --tls-cert)");
  app.add_option("--pg-tls-key", opts.pg_tls_key, "key for --pg-tls-cert (default: --tls-key)");
  app.add_option("--io-threads", opts.io_threads, "threads serving client connections")
      ->capture_default_str();
  app.add_option("--max-unauthenticated", opts.admission.global,
                 "connections that have not authenticated yet, at once, per listener (clients; "
                 "agent tunnels have as many again reserved for agent hosts)")
      ->capture_default_str();
  app.add_option("--max-unauthenticated-per-source", opts.admission.per_source,
                 "... of those from one address")
      ->capture_default_str();
  app.add_option("--auth-timeout", opts.auth_timeout_seconds,
                 "seconds a connection has from accept to authenticated (TLS, startup, token)")
      ->capture_default_str();
  app.add_flag("--allow-tokens-without-tls", opts.allow_tokens_without_tls,
               "accept PostgreSQL clients' tokens without TLS (sslmode=disable); only for a "
               "--listen-postgres address that nothing untrusted can reach");
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (!warden::log::Init("gateway", log_level)) {
    std::fprintf(stderr, "error: unknown --log-level %s\n", log_level.c_str());
    return 2;
  }
  warden::RaiseOpenFileLimit();
  warden::BlockTerminationSignals();
  auto server = warden::gateway::GatewayServer::Start(opts);
  if (!server.ok()) {
    spdlog::critical("cannot start: {}", server.status().message());
    return 1;
  }
  int sig = warden::WaitForTerminationSignal();
  spdlog::info("signal {}: shutting down", sig);
  (*server)->Shutdown();
  return 0;
}
