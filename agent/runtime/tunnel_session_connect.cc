// TunnelSession, start-up half: open the credential, connect to the database, negotiate TLS per
// the connection's tls_mode, authenticate (UpstreamHandshake), then hand over to the pump.
#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "agent/postgres/client_settings.h"
#include "agent/runtime/tunnel_session.h"
#include "common/log/log.h"
#include "common/pgwire/framing.h"
#include "common/pgwire/startup.h"
#include "common/sql/classify/parser_settings.h"

namespace warden::agent {

namespace {
int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

namespace {

// Parameters that would change what kind of session the database opens; never passed through.
bool IsReservedParameter(const std::string& name) {
  return name == "user" || name == "database" || name == "replication";
}

// The database's settings at start-up (its ParameterStatus messages) must be those the
// classifier reads statements under: a role or database default could have changed them.
absl::Status CheckStartupSettings(std::string_view messages) {
  while (!messages.empty()) {
    auto frame = pgwire::DecodeFrame(messages, messages.size());
    if (!frame.has_message()) break;
    const size_t size = frame.consumed();
    if (messages[0] == 'S') {
      if (auto st = StatementGuard::CheckParameterStatus(messages.substr(0, size)); !st.ok()) {
        return st;
      }
    }
    messages.remove_prefix(size);
  }
  return absl::OkStatus();
}

}  // namespace

void TunnelSession::BeginStartup() {
  if (Stopping()) return;
  absl::Status ready = PrepareStartup();
  if (!ready.ok()) {
    spdlog::warn("session {}: cannot open connection {}: {}", session_id(), open_.connection(),
                 ready.message());
    return CloseTunnel(absl::IsPermissionDenied(ready) ? "42501" : "08004",
                       std::string(ready.message()));
  }
  timer_.expires_after(env_->startup_timeout);
  timer_.async_wait(
      [self = shared_from_this()](asio::error_code ec) { self->OnStartupTimeout(ec); });
  resolver_.async_resolve(connection_->host(), std::to_string(connection_->port()),
                          [self = shared_from_this()](asio::error_code ec, auto results) {
                            self->OnResolved(ec, std::move(results));
                          });
}

// Everything that can be refused before touching the network: the connection, its settings and
// the credential. Messages name the reason, never a secret.
absl::Status TunnelSession::PrepareStartup() {
  if (!connection_) {
    return absl::NotFoundError(
        absl::StrCat("this agent does not serve connection \"", open_.connection(), "\""));
  }
  if (!connection_->protocol().empty() && connection_->protocol() != "postgres" &&
      connection_->protocol() != "postgresql") {
    return absl::InvalidArgumentError(
        absl::StrCat("connection \"", open_.connection(), "\" is not a PostgreSQL connection"));
  }
  auto mode = ParseTlsMode(connection_->tls_mode());
  if (!mode) {
    return absl::InvalidArgumentError(absl::StrCat("connection \"", open_.connection(),
                                                   "\" has an unknown tls_mode \"",
                                                   connection_->tls_mode(), "\""));
  }
  tls_mode_ = *mode;
  if (connection_->host().empty() || connection_->port() == 0 || connection_->port() > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("connection \"", open_.connection(), "\" has no valid host and port"));
  }
  auto secret = OpenCredential(env_->credential_keys, open_.session_id(), open_.connection(),
                               open_.sealed_credential(), open_.credential_signature(), UnixNow());
  open_.clear_sealed_credential();
  if (!secret.ok()) return secret.status();
  if (const int64_t expires = (*secret)->token_expires_unix; expires > 0) {
    expiry_timer_.expires_after(std::chrono::seconds(std::max<int64_t>(expires - UnixNow(), 0)));
    expiry_timer_.async_wait([self = shared_from_this()](asio::error_code ec) {
      if (ec) return;
      spdlog::info("session {}: the client's access token expired", self->session_id());
      self->End("28000", "the access token of this session expired: connect again with a new one");
    });
  }
  // The sealed identity is authoritative; the gateway's copy is only a hint.
  open_.set_identity((*secret)->identity);
  open_.clear_groups();
  for (const auto& g : (*secret)->groups) open_.add_groups(g);
  // Statement policy applies from the first client byte on.
  policy::Subject subject{open_.identity(),
                          {open_.groups().begin(), open_.groups().end()},
                          open_.connection(),
                          connection_->read_only()};
  subject_ = subject;
  HandshakeParams params;
  params.database = connection_->database();
  if (auto st = AddClientSettings(subject, &params); !st.ok()) return st;
  auto masker =
      std::make_unique<ResultMasker>(*env_->policy, subject, session_id(), env_->decisions);
  seam_.SetMasker(std::move(masker));
  auto guard = std::make_unique<StatementGuard>(*env_->policy, *env_->classifier,
                                                std::move(subject), session_id(), env_->decisions);
  guard->set_max_statement_bytes(env_->max_statement_bytes);
  // A statement that needs approval is held and asked about (refused at once when the control
  // plane cannot be reached then); an agent without an approval desk refuses it.
  guard->set_holds_enabled(env_->approvals != nullptr);
  seam_.SetGuard(std::move(guard));
  handshake_ = std::make_unique<UpstreamHandshake>(std::move(*secret), std::move(params));
  return absl::OkStatus();
}

// The client's startup settings, decided (client_settings.h), then the agent's own pins.
absl::Status TunnelSession::AddClientSettings(const policy::Subject& subject,
                                              HandshakeParams* params) {
  std::vector<std::pair<std::string, std::string>> requested;
  for (const auto& [name, value] : open_.client_parameters()) {
    const std::string lower = absl::AsciiStrToLower(name);
    if (IsReservedParameter(lower) || lower == "standard_conforming_strings") continue;
    if (lower == "default_transaction_read_only" && connection_->read_only()) continue;
    requested.emplace_back(name, value);
  }
  PolicySnapshotPtr snapshot = env_->policy->Current();
  for (SettingDecision& d :
       DecideClientSettings(requested, snapshot.get(), subject, *env_->classifier)) {
    if (env_->decisions && d.decision.rule != "ordinary-setting") {
      env_->decisions->Count(d.decision.policy, d.decision.rule, d.decision.action);
    }
    if (d.decision.action != v1::ACTION_ALLOW) {
      return absl::PermissionDeniedError(
          absl::StrCat("startup setting ", d.name, " refused: ", d.decision.message));
    }
    params->client_parameters.emplace_back(std::move(d.name), std::move(d.value));
  }
  // What the classifier's parser assumes; as a startup value it is also what RESET, RESET ALL
  // and DISCARD ALL return to. ParameterStatus confirms it (EnterPump) and watches it after.
  params->client_parameters.emplace_back("standard_conforming_strings", "on");
  if (connection_->read_only()) {
    // The second, independent lock: even a statement the guard let through cannot write.
    params->client_parameters.emplace_back("default_transaction_read_only", "on");
  }
  return absl::OkStatus();
}

void TunnelSession::OnResolved(asio::error_code ec, asio::ip::tcp::resolver::results_type results) {
  if (Stopping()) return;
  if (ec) return FailConnect("cannot resolve the database host", ec);
  asio::async_connect(upstream_.socket(), results,
                      [self = shared_from_this()](asio::error_code ec, const auto& endpoint) {
                        self->OnConnected(ec, endpoint);
                      });
}

void TunnelSession::OnConnected(asio::error_code ec, const asio::ip::tcp::endpoint& endpoint) {
  if (Stopping()) return;
  if (ec) return FailConnect("cannot connect to the database", ec);
  endpoint_ = endpoint;
  asio::error_code ignored;
  upstream_.socket().set_option(asio::ip::tcp::no_delay(true), ignored);
  if (tls_mode_ == TlsMode::kDisable) return StartAuthentication();
  // https://www.postgresql.org/docs/15/protocol-flow.html#id-1.10.6.7.11: exactly one byte
  // comes back; read no more (bytes after it would not be protected by TLS, CVE-2021-23222).
  phase_ = Phase::kNegotiatingTls;
  handshake_out_ = pgwire::BuildSSLRequest();
  upstream_.AsyncWrite(
      asio::buffer(handshake_out_), [self = shared_from_this()](asio::error_code ec, size_t) {
        if (self->Stopping()) return;
        if (ec) return self->FailConnect("cannot write to the database", ec);
        self->upstream_.AsyncRead(asio::buffer(&self->ssl_answer_, 1),
                                  [self](asio::error_code ec, size_t) { self->OnSslAnswer(ec); });
      });
}

void TunnelSession::OnSslAnswer(asio::error_code ec) {
  if (Stopping()) return;
  if (ec) return FailConnect("the database did not answer the TLS request", ec);
  switch (DecideTls(tls_mode_, ssl_answer_)) {
    case TlsDecision::kPlain:
      return StartAuthentication();
    case TlsDecision::kFail:
      return FailStartup("08001", absl::StrCat("the database does not accept TLS, which tls_mode ",
                                               TlsModeName(tls_mode_), " requires"));
    case TlsDecision::kUseTls:
      break;
  }
  bool verify = tls_mode_ == TlsMode::kVerifyFull;
  upstream_.StartTls(verify ? env_->tls->verifying : env_->tls->unverified, connection_->host(),
                     verify);
  upstream_.AsyncTlsHandshake(
      [self = shared_from_this()](asio::error_code ec) { self->OnTlsHandshake(ec); });
}

void TunnelSession::OnTlsHandshake(asio::error_code ec) {
  if (Stopping()) return;
  if (ec) return FailConnect("TLS with the database failed", ec);
  StartAuthentication();
}

void TunnelSession::StartAuthentication() {
  phase_ = Phase::kAuthenticating;
  handshake_->set_transport_encrypted(upstream_.tls());
  handshake_out_ = handshake_->StartupBytes();
  WriteHandshakeBytes();
}

void TunnelSession::WriteHandshakeBytes() {
  upstream_.AsyncWrite(asio::buffer(handshake_out_),
                       [self = shared_from_this()](asio::error_code ec, size_t) {
                         WipeString(self->handshake_out_);  // a PasswordMessage may be in it
                         if (self->Stopping()) return;
                         if (ec) return self->FailConnect("cannot write to the database", ec);
                         self->ReadHandshakeBytes();
                       });
}

void TunnelSession::ReadHandshakeBytes() {
  upstream_.AsyncReadSome(asio::buffer(read_buf_.get(), kMaxFrameBytes),
                          [self = shared_from_this()](asio::error_code ec, size_t n) {
                            self->OnHandshakeBytes(ec, n);
                          });
}

void TunnelSession::OnHandshakeBytes(asio::error_code ec, size_t n) {
  if (Stopping()) return;
  if (ec) return FailConnect("the database closed the connection during start-up", ec);
  auto state = handshake_->Feed(std::string_view(read_buf_.get(), n), &handshake_out_);
  if (state == UpstreamHandshake::State::kFailed) {
    WipeString(handshake_out_);
    return FailStartup(handshake_->error().sqlstate, handshake_->error().message);
  }
  if (state == UpstreamHandshake::State::kReady) return LoadCatalog();
  if (!handshake_out_.empty()) return WriteHandshakeBytes();
  ReadHandshakeBytes();
}

void TunnelSession::OnStartupTimeout(asio::error_code ec) {
  if (ec || phase_ == Phase::kPumping || Stopping()) return;
  FailStartup("08001", absl::StrCat("timed out after ", env_->startup_timeout.count() / 1000,
                                    " s connecting to or authenticating with the database"));
}

void TunnelSession::FailConnect(const char* what, asio::error_code ec) {
  FailStartup("08001", absl::StrCat(what, ": ", ec.message()));
}

void TunnelSession::FailStartup(std::string sqlstate, std::string message) {
  spdlog::warn("session {}: connection {} failed at start-up: {} ({})", session_id(),
               open_.connection(), message, sqlstate);
  handshake_.reset();  // wipes the credential
  CloseTunnel(sqlstate, message);
}

// Authenticated: the guard's function catalog is read before the client may speak, so that its
// first statement is already judged with it (statement_guard.h). The start-up deadline still
// runs.
void TunnelSession::LoadCatalog() {
  if (auto st = CheckStartupSettings(handshake_->startup_messages()); !st.ok()) {
    return FailStartup("08004", std::string(st.message()));
  }
  phase_ = Phase::kLoadingCatalog;
  handshake_out_ = seam_.StartFunctionCatalogLoad();
  if (handshake_out_.empty()) return OnCatalogAnswer(handshake_->TakeLeftover());
  upstream_.AsyncWrite(asio::buffer(handshake_out_),
                       [self = shared_from_this()](asio::error_code ec, size_t) {
                         if (self->Stopping()) return;
                         if (ec) return self->FailConnect("cannot write to the database", ec);
                         self->OnCatalogAnswer(self->handshake_->TakeLeftover());
                       });
}

void TunnelSession::ReadCatalogAnswer() {
  upstream_.AsyncReadSome(asio::buffer(read_buf_.get(), kMaxFrameBytes),
                          [self = shared_from_this()](asio::error_code ec, size_t n) {
                            if (self->Stopping()) return;
                            if (ec) {
                              return self->FailConnect(
                                  "the database closed the connection while Warden read its "
                                  "catalog",
                                  ec);
                            }
                            self->OnCatalogAnswer(std::string(self->read_buf_.get(), n));
                          });
}

// Bytes from the database while the catalog loads: the seam takes the answer out; anything
// else (a notice) is the client's, after the start-up messages.
void TunnelSession::OnCatalogAnswer(std::string bytes) {
  if (auto st = seam_.BackendBytes(&bytes); !st.ok()) {
    return FailStartup("08P01", absl::StrCat("the database broke the protocol: ", st.message()));
  }
  startup_out_.append(bytes);
  if (seam_.loading_function_catalog()) return ReadCatalogAnswer();
  EnterPump();
}

void TunnelSession::EnterPump() {
  timer_.cancel();
  phase_ = Phase::kPumping;
  // The database accepted the session: statements flow both ways.
  tunnel_.KeepTlsBuffers();
  upstream_.KeepTlsBuffers();
  backend_key_ = handshake_->backend_key();
  spdlog::info("session {}: connected to {} ({} auth, {}) for {}", session_id(), open_.connection(),
               handshake_->auth_method(), upstream_.tls() ? "TLS" : "no TLS", open_.identity());
  v1::TunnelReady ready;
  ready.set_startup_messages(handshake_->startup_messages());
  if (backend_key_) ready.set_backend_process_id(backend_key_->process_id);
  handshake_.reset();  // the password is already wiped; drop the rest too
  QueueControl(tunnel::FrameType::kReady, ready);
  data_out_ = std::exchange(startup_out_, {});  // already through the seam
  to_client_.Cut(&data_out_);
  if (!data_out_.empty()) {
    QueueData();
  } else {
    ReadUpstream();
  }
  if (!held_inbound_.empty()) {
    std::string_view held = std::exchange(held_inbound_, {});
    WriteUpstream(held);
  }
}

}  // namespace warden::agent
