// warden-agent: runs beside the database, dials out to a gateway, never listens
// (DESIGN.md §1).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "agent/control/control_client.h"
#include "agent/control/identity_key.h"
#include "agent/runtime/session_runner.h"
#include "common/crypto/sealed_box.h"
#include "common/grpcutil/grpc_util.h"
#include "common/log/log.h"
#include "common/util/file_limit.h"
#include "common/util/files.h"
#include "common/util/signals.h"

int main(int argc, char** argv) {
  warden::agent::ControlClientOptions opts;
  std::string token_file, identity_key_file, controlplane_key, log_level = "info";
  bool print_identity_key = false;
  int session_threads = 1;
  CLI::App app{"warden-agent: enforces Warden policy beside a database; dials out to a gateway"};
  app.set_version_flag("--version", std::string("warden-agent ") + WARDEN_VERSION);
  app.add_option("--gateway", opts.gateway, "gateway address to dial")->capture_default_str();
  // Required unless printing the identity key (checked below).
  app.add_option("--ca-file", opts.ca_file, "CA that signed the gateway's certificate (pinned)");
  app.add_option("--name", opts.name, "this agent's name, as created with wardenctl agents create");
  app.add_option("--token-file", token_file,
                 "file holding the agent token (or set WARDEN_AGENT_TOKEN)");
  app.add_option("--identity-key-file", identity_key_file,
                 "this agent's Ed25519 identity key (PEM, mode 0600); created on first start")
      ->required();
  app.add_option("--controlplane-key", controlplane_key,
                 "the control plane's signing key, ed25519:<base64>, as wardenctl agents create "
                 "prints it: the agent acts only on what it signed");
  app.add_flag("--print-identity-key", print_identity_key,
               "print the identity key's public half (for wardenctl agents create "
               "--identity-key), creating it if needed, and exit");
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error")->capture_default_str();
  app.add_option("--session-threads", session_threads,
                 "threads that move session bytes between tunnels and the database")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  size_t max_statement_bytes = warden::agent::StatementGuard::kDefaultMaxStatementBytes;
  app.add_option("--max-statement-bytes", max_statement_bytes,
                 "statement texts longer than this are refused before they are parsed")
      ->check(CLI::Range(size_t{1024}, size_t{1} << 30))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (!warden::log::Init("agent", log_level)) {
    std::fprintf(stderr, "error: unknown --log-level %s\n", log_level.c_str());
    return 2;
  }
  auto identity = warden::agent::LoadOrCreateIdentityKey(identity_key_file);
  if (!identity.ok()) {
    spdlog::critical("{}", identity.status().message());
    return 2;
  }
  if (print_identity_key) {
    std::printf("%s\n", warden::crypto::Ed25519KeyText(identity->public_key).c_str());
    return 0;
  }
  if (opts.name.empty() || opts.ca_file.empty()) {
    std::fprintf(stderr, "error: --name and --ca-file are required\n");
    return 2;
  }
  auto pinned = warden::crypto::ParseEd25519KeyText(controlplane_key);
  if (!pinned.ok()) {
    spdlog::critical("--controlplane-key: {} (wardenctl agents create prints it)",
                     controlplane_key.empty() ? "required" : pinned.status().message());
    return 2;
  }
  opts.identity = *std::move(identity);
  opts.controlplane_key = *pinned;
  if (!token_file.empty()) {
    auto token = warden::ReadSecretFile(token_file);
    if (!token.ok()) {
      spdlog::critical("agent token: {}", token.status().message());
      return 2;
    }
    opts.token = *token;
    opts.token_file = token_file;
  } else if (const char* env = std::getenv("WARDEN_AGENT_TOKEN"); env && *env) {
    opts.token = env;
  } else {
    spdlog::critical(
        "no agent token: pass --token-file or set WARDEN_AGENT_TOKEN (wardenctl "
        "agents create NAME prints one)");
    return 2;
  }
  auto creds = warden::grpcutil::ClientTls(opts.ca_file);
  if (!creds.ok()) {
    spdlog::critical("{}", creds.status().message());
    return 2;
  }
  // A fresh key per process: sealed credentials from an earlier run cannot be replayed here.
  auto sealing_key = warden::crypto::X25519KeyPair::Generate();
  opts.public_key = sealing_key.public_key;
  opts.private_key = sealing_key.private_key;
  warden::RaiseOpenFileLimit();
  warden::BlockTerminationSignals();
  // The data path: one TLS tunnel per session to the same gateway host (at the port its
  // OpenSession names), database connections, all on a small Asio pool.
  // Declared before the sessions that read it, so it outlives them.
  warden::agent::PolicyHolder policy;
  // What every session's guard counts, reported to the control plane; outlives both.
  warden::agent::DecisionCounters decisions;
  // Between the sessions holding statements for approval and the control stream; outlives both.
  warden::agent::ApprovalDesk approvals;
  warden::agent::SessionRunnerOptions runner_opts;
  runner_opts.gateway = opts.gateway;
  runner_opts.ca_file = opts.ca_file;
  runner_opts.credential_keys = {sealing_key.private_key, opts.controlplane_key, opts.name};
  runner_opts.threads = session_threads;
  runner_opts.max_statement_bytes = max_statement_bytes;
  runner_opts.policy = &policy;
  runner_opts.decisions = &decisions;
  runner_opts.approvals = &approvals;
  warden::agent::SessionRunner sessions(std::move(runner_opts));
  if (auto st = sessions.Init(); !st.ok()) {
    spdlog::critical("{}", st.message());
    return 2;
  }
  sessions.Start();
  opts.on_welcome = [&sessions](const warden::v1::Welcome& w) { sessions.OnWelcome(w); };
  opts.on_open_session = [&sessions](warden::v1::OpenSession o) {
    sessions.OnOpenSession(std::move(o));
  };
  opts.on_end_session = [&sessions](const warden::v1::EndSession& e) { sessions.OnEndSession(e); };
  opts.decisions = &decisions;
  opts.approvals = &approvals;
  warden::agent::ControlClient client(opts, *creds, policy);
  client.Start();
  // Either a signal or a fatal rejection ends the agent.
  std::thread signals([&] {
    int sig = warden::WaitForTerminationSignal();
    spdlog::info("signal {}: shutting down", sig);
    client.Stop();
  });
  absl::Status why = client.Wait();
  sessions.Stop();
  if (!absl::IsCancelled(why)) {
    signals.detach();
    return 3;
  }
  signals.join();
  return 0;
}
