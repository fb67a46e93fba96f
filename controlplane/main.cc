// warden-controlplane: the only owner of Warden's state (see DESIGN.md §1).
#include <CLI/CLI.hpp>
#include <cstdio>

#include "common/log/log.h"
#include "common/util/files.h"
#include "common/util/signals.h"
#include "controlplane/controlplane_server.h"
#include "controlplane/outbound.h"

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
  std::string webhook_secret_file;
  app.add_option("--webhook", opts.notify.webhooks,
                 "URL that receives a signed JSON event for each approval request change "
                 "(repeatable; needs --webhook-secret-file)");
  app.add_option("--webhook-secret-file", webhook_secret_file,
                 "file holding the HMAC-SHA-256 key events are signed with (Warden-Signature)");
  app.add_option("--slack-webhook", opts.notify.slack_webhooks,
                 "Slack incoming-webhook URL told of each approval request change (repeatable)");
  app.add_option("--smtp-url", opts.notify.smtp_url,
                 "SMTP server (smtp://host:port) that mails new approval requests to the "
                 "approvers' addresses (admin-tokens create --email)");
  app.add_option("--smtp-from", opts.notify.smtp_from, "sender address of those mails");
  CLI11_PARSE(app, argc, argv);
  warden::controlplane::InitOutbound();  // before any thread starts
  if (!warden::log::Init("controlplane", log_level)) {
    std::fprintf(stderr, "error: unknown --log-level %s\n", log_level.c_str());
    return 2;
  }
  if (!webhook_secret_file.empty()) {
    auto secret = warden::ReadSecretFile(webhook_secret_file);
    if (!secret.ok()) {
      std::fprintf(stderr, "error: --webhook-secret-file: %s\n",
                   std::string(secret.status().message()).c_str());
      return 2;
    }
    opts.notify.webhook_secret = *std::move(secret);
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
