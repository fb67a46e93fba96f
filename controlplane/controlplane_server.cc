#include "controlplane/controlplane_server.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/grpcutil/grpc_util.h"
#include "common/log/log.h"
#include "common/util/files.h"
#include "common/util/status_macros.h"
#include "controlplane/session_ends.h"

namespace warden::controlplane {

namespace {

absl::Status BootstrapAdminToken(Stores& stores, const std::string& path) {
  ASSIGN_OR_RETURN(int64_t active, stores.admin_tokens.CountActive());
  if (active > 0) return absl::OkStatus();
  if (path.empty()) {
    spdlog::warn(
        "the store has no admin token and --admin-token-file is not set: nobody can "
        "administer this control plane");
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(std::string token, stores.admin_tokens.Create("bootstrap"));
  RETURN_IF_ERROR(WriteFileAtomic(path, token + "\n", 0600));
  spdlog::info("created the first admin token and wrote it to {}", path);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<ControlPlaneServer>> ControlPlaneServer::Start(
    const ControlPlaneOptions& opts) {
  auto self = std::unique_ptr<ControlPlaneServer>(new ControlPlaneServer());
  ASSIGN_OR_RETURN(self->stores_, Stores::Open(opts.db_path, opts.master_key_file));
  RETURN_IF_ERROR(self->stores_->agents.MarkAllDisconnected());
  RETURN_IF_ERROR(BootstrapAdminToken(*self->stores_, opts.admin_token_file));
  ASSIGN_OR_RETURN(int64_t version, self->stores_->policies.CurrentVersion());
  ASSIGN_OR_RETURN(self->approvals_,
                   ApprovalQueue::Open(self->stores_->approvals, [] { return store::NowUnix(); }));
  if (opts.notify.any()) {
    if (!opts.notify.webhooks.empty() && opts.notify.webhook_secret.empty()) {
      return absl::InvalidArgumentError(
          "--webhook needs --webhook-secret-file: receivers check each event's signature");
    }
    if (!opts.notify.smtp_url.empty() && opts.notify.smtp_from.empty()) {
      return absl::InvalidArgumentError("--smtp-url needs --smtp-from (the sender address)");
    }
    self->approval_notifier_ = std::make_unique<ApprovalNotifier>(
        *self->approvals_, self->stores_->admin_tokens, opts.notify);
    spdlog::info("approval notifications: {} webhooks, {} Slack webhooks, mail {}",
                 opts.notify.webhooks.size(), opts.notify.slack_webhooks.size(),
                 opts.notify.smtp_url.empty() ? "off" : "on");
  }
  // Created on the first start; a tampered row stops the start here (DataLoss).
  ASSIGN_OR_RETURN(std::string masking_key, self->stores_->server_keys.MaskingKey());
  ASSIGN_OR_RETURN(std::string signing_key, self->stores_->server_keys.SigningKey());
  self->notifier_ = std::make_unique<PolicyNotifier>(version);
  self->control_ = std::make_unique<ControlServiceImpl>(
      *self->stores_, *self->notifier_, self->live_sessions_, self->decision_stats_,
      self->agent_streams_, *self->approvals_, std::move(signing_key), std::move(masking_key));
  self->admin_ = std::make_unique<AdminServiceImpl>(
      *self->stores_, *self->notifier_, self->live_sessions_, self->decision_stats_,
      self->agent_streams_, *self->approvals_, self->control_->controlplane_key());
  ASSIGN_OR_RETURN(auto creds, grpcutil::ServerTls(opts.tls_cert, opts.tls_key));
  grpc::ServerBuilder builder;
  builder.AddListeningPort(opts.listen, creds, &self->port_);
  builder.RegisterService(self->admin_.get());
  builder.RegisterService(self->control_.get());
  grpcutil::ConfigureServerKeepalive(builder);
  self->server_ = builder.BuildAndStart();
  if (!self->server_ || self->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", opts.listen, " (address in use?)"));
  }
  spdlog::info("control plane listening on {} (policy version {})",
               grpcutil::BoundAddress(opts.listen, self->port_), version);
  self->reaper_ = std::thread([s = self.get()] { s->EndExpiredSessions(); });
  return self;
}

// Also expires approval requests nobody decided in time.
void ControlPlaneServer::EndExpiredSessions() {
  std::unique_lock<std::mutex> lock(reaper_mu_);
  while (!reaper_cv_.wait_for(lock, kExpiryCheck, [this] { return stopping_; })) {
    for (const v1::ApprovalRequest& r : approvals_->ExpireDue()) {
      spdlog::info("approval request {} of {} on {} expired: nobody decided in time", r.id(),
                   r.identity(), r.connection());
    }
    std::vector<v1::LiveSession> ended = live_sessions_.EndWhere(TokenExpired(store::NowUnix()));
    if (ended.empty()) continue;
    notifier_->SessionsEnded();
    for (const v1::LiveSession& s : ended) {
      spdlog::info("session {} of {} on {} ended: token {} expired", s.session_id(), s.identity(),
                   s.connection(), s.token_id());
    }
  }
}

void ControlPlaneServer::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(reaper_mu_);
    stopping_ = true;
  }
  reaper_cv_.notify_all();
  if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
}

ControlPlaneServer::~ControlPlaneServer() {
  Shutdown();
  if (reaper_.joinable()) reaper_.join();
}

}  // namespace warden::controlplane
