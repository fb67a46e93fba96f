// The control plane process, as a library: open the stores, bootstrap the first admin token,
// serve AdminService and ControlService over TLS. main.cc only parses flags.
#pragma once

#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "controlplane/admin_service.h"
#include "controlplane/approval_notifier.h"
#include "controlplane/control_service.h"

namespace warden::controlplane {

struct ControlPlaneOptions {
  std::string listen = "127.0.0.1:7443";
  std::string db_path = "var/warden.db";
  std::string master_key_file = "var/master.key";
  std::string tls_cert;
  std::string tls_key;
  // When the store has no admin token yet, one is created and written here (mode 0600).
  std::string admin_token_file;
  // Webhooks, Slack and mail for approval requests (approval_notifier.h).
  NotifyOptions notify;
};

class ControlPlaneServer {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ControlPlaneServer>> Start(
      const ControlPlaneOptions& opts);
  ~ControlPlaneServer();
  void Shutdown();
  int port() const { return port_; }
  Stores& stores() { return *stores_; }
  ApprovalQueue& approvals() { return *approvals_; }

 private:
  // Ends sessions whose token expired, within kExpiryCheck of the expiry.
  static constexpr std::chrono::milliseconds kExpiryCheck{250};
  void EndExpiredSessions();

  std::unique_ptr<Stores> stores_;
  std::unique_ptr<ApprovalQueue> approvals_;
  std::unique_ptr<ApprovalNotifier> approval_notifier_;  // before the queue goes
  std::unique_ptr<PolicyNotifier> notifier_;
  LiveSessions live_sessions_;
  DecisionStats decision_stats_;
  AgentRegistry agent_streams_;
  std::unique_ptr<AdminServiceImpl> admin_;
  std::unique_ptr<ControlServiceImpl> control_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::mutex reaper_mu_;
  std::condition_variable reaper_cv_;
  bool stopping_ = false;
  std::thread reaper_;
};

}  // namespace warden::controlplane
