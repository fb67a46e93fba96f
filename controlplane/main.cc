// warden-controlplane: the only owner of Warden's state (see DESIGN.md §1).
#include <CLI/CLI.hpp>
#include <cstdio>

#include "common/log/log.h"
#include "common/util/signals.h"
#include "controlplane/controlplane_server.h"

int main(int argc, char** argv) {
  warden::controlplane::ControlPlaneOptions opts;
  std::string log_level = "info";
  CLI::App app{"warden-controlplane: Warden's control plane (state, policy, admin API)"};
  app.set_version_flag("--version", std::string("warden-controlplane ") + WARDEN_VERSION);
  app.add_option("--listen", opts.listen, "address for AdminService and ControlService")
      ->capture_default_str();
  app.add_option("--db", opts.db_path, "SQLite store file")->capture_default_str();
  app.add_option("--master-key-file", opts.master_key_file,
                 "key file for credentials at rest, lines of <key-id>:<64 hex>")
      ->capture_default_str();
  app.add_option("--tls-cert", opts.tls_cert, "server certificate (PEM)")->required();
  app.add_option("--tls-key", opts.tls_key, "server key (PEM)")->required();
  app.add_option("--admin-token-file", opts.admin_token_file,
                 "where to write the first admin token if the store has none");
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (!warden::log::Init("controlplane", log_level)) {
    std::fprintf(stderr, "error: unknown --log-level %s\n", log_level.c_str());
    return 2;
  }
  warden::BlockTerminationSignals();
  auto server = warden::controlplane::ControlPlaneServer::Start(opts);
  if (!server.ok()) {
    spdlog::critical("cannot start: {}", server.status().message());
    return 1;
  }
  int sig = warden::WaitForTerminationSignal();
  spdlog::info("signal {}: shutting down", sig);
  (*server)->Shutdown();
  return 0;
}
