#include "agent/runtime/session_runner.h"

#include <openssl/ssl.h>

#include "absl/strings/str_cat.h"
#include "common/log/log.h"

namespace warden::agent {

SessionRunner::SessionRunner(SessionRunnerOptions opts)
    : opts_(std::move(opts)),
      // The hint lets a single-threaded io_context skip waking other threads.
      io_(opts_.threads < 1 ? 1 : opts_.threads),
      work_(asio::make_work_guard(io_)) {
  env_ = std::make_shared<TunnelEnv>();
  env_->io = &io_;
  env_->io_threads = opts_.threads < 1 ? 1 : opts_.threads;
  env_->gateway_tls = &gateway_tls_;
  env_->credential_keys = opts_.credential_keys;
  env_->tls = &tls_;
  env_->policy = opts_.policy;
  env_->classifier = &classifier_;
  env_->decisions = opts_.decisions;
  env_->approvals = opts_.approvals;
  env_->startup_timeout = opts_.startup_timeout;
  env_->max_statement_bytes = opts_.max_statement_bytes;
  env_->on_done = [this](const std::string& id) { Forget(id); };
}

SessionRunner::~SessionRunner() { Stop(); }

absl::Status SessionRunner::Init() {
  // The host of HOST:PORT (brackets around an IPv6 address removed).
  std::string host = opts_.gateway.substr(0, opts_.gateway.rfind(':'));
  if (host.size() > 1 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty() || opts_.gateway.rfind(':') == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("gateway address \"", opts_.gateway, "\" is not HOST:PORT"));
  }
  env_->gateway_host = host;
  SSL_CTX_set_min_proto_version(gateway_tls_.native_handle(), TLS1_2_VERSION);
  asio::error_code ec;
  gateway_tls_.load_verify_file(opts_.ca_file, ec);
  if (ec) {
    return absl::InvalidArgumentError(absl::StrCat("CA file ", opts_.ca_file, ": ", ec.message()));
  }
  gateway_tls_.set_verify_mode(asio::ssl::verify_peer);
  return absl::OkStatus();
}

void SessionRunner::Start() {
  int n = opts_.threads < 1 ? 1 : opts_.threads;
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { io_.run(); });
}

void SessionRunner::Stop() {
  std::vector<std::shared_ptr<TunnelSession>> live;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [id, weak] : sessions_) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  for (auto& s : live) s->Abort();
  live.clear();
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (!threads_.empty()) {
      cv_.wait_for(lock, std::chrono::seconds(3), [&] { return sessions_.empty(); });
    }
    if (!sessions_.empty()) {
      spdlog::warn("{} sessions still open at shutdown", sessions_.size());
    }
  }
  work_.reset();
  io_.stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void SessionRunner::OnWelcome(const v1::Welcome& welcome) { directory_.Replace(welcome); }

void SessionRunner::OnOpenSession(v1::OpenSession open) {
  std::string id = open.session_id();
  auto connection = directory_.Find(open.connection());
  auto session = TunnelSession::Create(env_, std::move(open), std::move(connection));
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      spdlog::warn("session {}: shutting down; not opening it", id);
      return;
    }
    if (sessions_.count(id)) {
      spdlog::warn("session {}: already open; ignoring the repeated OpenSession", id);
      return;
    }
    sessions_[id] = session;
  }
  spdlog::info("session {}: opening tunnel for connection {}", id, session->connection_name());
  session->Start();
}

void SessionRunner::OnEndSession(const v1::EndSession& end) {
  std::shared_ptr<TunnelSession> session;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sessions_.find(end.session_id());
    if (it != sessions_.end()) session = it->second.lock();
  }
  if (!session) return;  // another agent's, or already over
  session->End(end.sqlstate().empty() ? "57P01" : end.sqlstate(), end.message());
}

size_t SessionRunner::live_sessions() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sessions_.size();
}

void SessionRunner::Forget(const std::string& session_id) {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_.erase(session_id);
  cv_.notify_all();
}

}  // namespace warden::agent
