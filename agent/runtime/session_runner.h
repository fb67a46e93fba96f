// Runs the agent's client sessions: owns the Asio io_context (and the threads that run it), the
// TLS contexts for the gateway's tunnels and for databases, and the live sessions.
// Hook it into ControlClientOptions: on_welcome -> OnWelcome, on_open_session -> OnOpenSession.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "agent/enforcement/approval_desk.h"
#include "agent/enforcement/policy_holder.h"
#include "agent/runtime/connection_directory.h"
#include "agent/runtime/tunnel_session.h"
#include "common/sql/classifier_cache.h"
#include "warden/v1/agent.pb.h"

namespace warden::agent {

struct SessionRunnerOptions {
  std::string gateway;  // same HOST:PORT as the control stream; tunnels go to the same host
  std::string ca_file;  // pins the gateway's CA, as for the control stream
  CredentialKeys credential_keys;         // open and check each session's credential
  const PolicyHolder* policy = nullptr;   // required: what every session enforces
  DecisionCounters* decisions = nullptr;  // where every session counts its decisions
  ApprovalDesk* approvals = nullptr;      // where held statements ask for approval
  int threads = 2;
  std::chrono::milliseconds startup_timeout{15000};
  size_t max_statement_bytes = StatementGuard::kDefaultMaxStatementBytes;
};

class SessionRunner {
 public:
  explicit SessionRunner(SessionRunnerOptions opts);
  // Loads the gateway's CA; call before Start().
  [[nodiscard]] absl::Status Init();
  ~SessionRunner();  // Stop()

  SessionRunner(const SessionRunner&) = delete;
  SessionRunner& operator=(const SessionRunner&) = delete;

  void Start();
  // Aborts every live session, waits (bounded) for them to end, stops the threads.
  void Stop();

  // ControlClientOptions::on_welcome.
  void OnWelcome(const v1::Welcome& welcome);
  // ControlClientOptions::on_open_session: never blocks; the session runs on the io threads.
  void OnOpenSession(v1::OpenSession open);
  // ControlClientOptions::on_end_session: ends that session if it runs here (never blocks).
  void OnEndSession(const v1::EndSession& end);

  size_t live_sessions() const;
  const ConnectionDirectory& directory() const { return directory_; }

 private:
  void Forget(const std::string& session_id);

  SessionRunnerOptions opts_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::vector<std::thread> threads_;
  UpstreamTlsContexts tls_;
  sql::ClassifierCache classifier_;
  asio::ssl::context gateway_tls_{asio::ssl::context::tls_client};
  ConnectionDirectory directory_;
  std::shared_ptr<TunnelEnv> env_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_map<std::string, std::weak_ptr<TunnelSession>> sessions_;
  bool stopping_ = false;
};

}  // namespace warden::agent
