#include "gateway/client_session.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/crypto/random.h"
#include "common/log/log.h"
#include "common/log/rate_limit.h"
#include "common/pgwire/pgwire.h"

namespace warden::gateway {

namespace {

// What a client sees for each way the control plane can refuse a session. SQLSTATEs follow
// https://www.postgresql.org/docs/15/errcodes-appendix.html.
std::pair<std::string, std::string> ClientError(const grpc::Status& s) {
  switch (s.error_code()) {
    case grpc::StatusCode::UNAUTHENTICATED:
      return {"28P01", absl::StrCat("Warden token rejected: ", s.error_message())};
    case grpc::StatusCode::NOT_FOUND:
      return {"3D000", absl::StrCat("unknown Warden connection: ", s.error_message())};
    case grpc::StatusCode::PERMISSION_DENIED:
      return {"28000", s.error_message()};
    case grpc::StatusCode::FAILED_PRECONDITION:
      return {"08004", s.error_message()};
    case grpc::StatusCode::UNAVAILABLE:
      return {"57P03",
              absl::StrCat("Warden cannot serve this connection now: ", s.error_message())};
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return {"53300", s.error_message()};
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return {"57P03", "the Warden control plane did not answer in time"};
    default:
      return {"08006", absl::StrCat("Warden authorization failed: ", s.error_message())};
  }
}

}  // namespace

ClientSession::ClientSession(asio::ip::tcp::socket socket, GatewayContext& ctx)
    : ctx_(ctx),
      executor_(socket.get_executor()),
      stream_(std::move(socket)),
      timer_(executor_),
      handshake_({.allow_tokens_without_tls = ctx.allow_tokens_without_tls}) {
  asio::error_code ec;
  auto ep = stream_.socket().remote_endpoint(ec);
  if (!ec) {
    peer_address_ = ep.address().to_string();
    peer_ = absl::StrCat(peer_address_, ":", ep.port());
  }
  stream_.socket().set_option(asio::ip::tcp::no_delay(true), ec);
}

ClientSession::~ClientSession() = default;

void ClientSession::Start(Admission::Ticket admission) {
  admission_ = std::move(admission);
  asio::dispatch(executor_, [self = shared_from_this()] {
    // PostgreSQL's authentication_timeout is 60 s; a token needs no typing, so far less will do
    // (--auth-timeout), and a connection that sends nothing cannot hold its slot for long.
    self->ArmTimer(self->ctx_.auth_timeout, "the client to authenticate");
    self->ReadPreAuth();
  });
}

void ClientSession::ArmTimer(std::chrono::seconds after, const char* what) {
  timer_.expires_after(after);
  timer_.async_wait(asio::bind_executor(executor_, [self = shared_from_this(), what](auto ec) {
    if (ec || self->state_ == State::kStreaming || self->state_ == State::kClosed) return;
    self->Fail("08006", absl::StrCat("timed out waiting for ", what));
  }));
}

void ClientSession::ReadPreAuth() {
  stream_.AsyncReadSome(
      asio::buffer(readbuf_),
      asio::bind_executor(executor_, [self = shared_from_this()](auto ec, size_t n) {
        if (ec) return self->Close();
        // Too much before authentication makes the next step a failure.
        self->handshake_.Feed(std::string_view(self->readbuf_.data(), n));
        self->OnPreAuthBytes();
      }));
}

// Carries out the handshake's steps (client_handshake.h) until it needs more bytes, waits for
// TLS, or is done.
void ClientSession::OnPreAuthBytes() {
  using Step = ClientHandshake::Step;
  for (;;) {
    switch (handshake_.Next()) {
      case Step::kNeedMore:
        return ReadPreAuth();
      case Step::kReply:
        Send(handshake_.reply());
        continue;
      case Step::kStartTls:
        return Send(handshake_.reply(), [self = shared_from_this()] { self->StartTls(); });
      case Step::kCancel: {
        // https://www.postgresql.org/docs/15/protocol-flow.html#id-1.10.6.7.9: no reply.
        const pgwire::CancelRequest& c = handshake_.cancel();
        if (auto target =
                ctx_.sessions.FindByCancelKey(c.process_id, c.secret_key, peer_address_)) {
          target->RequestCancel();
        }
        return Close();
      }
      case Step::kClose:
        return Close();
      case Step::kFail:
        return Fail(handshake_.sqlstate(), handshake_.message());
      case Step::kAuthorize:
        connection_ = handshake_.connection();
        state_ = State::kAuthorizing;
        return Authorize(handshake_.TakeToken());
    }
  }
}

void ClientSession::StartTls() {
  stream_.StartTls(ctx_.tls);
  stream_.AsyncHandshake(
      asio::ssl::stream_base::server,
      asio::bind_executor(executor_, [self = shared_from_this()](auto ec) {
        if (ec) {
          static log::RateLimit limit;  // anyone can fail a handshake, many times over
          if (auto left_out = limit.Admit()) {
            spdlog::info("client {}: TLS handshake failed: {}{}", self->peer_, ec.message(),
                         log::LeftOut(*left_out));
          }
          return self->Close();
        }
        self->handshake_.TlsUp();
        self->OnPreAuthBytes();
      }));
}

void ClientSession::Authorize(std::string token) {
  struct Call {
    grpc::ClientContext ctx;
    v1::AuthorizeRequest req;
    v1::AuthorizeResponse resp;
  };
  auto call = std::make_shared<Call>();
  ctx_.credential.Attach(call->ctx);
  call->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  call->req.set_token(std::move(token));
  call->req.set_connection(connection_);
  call->req.set_client_address(peer_);
  auto stub = ctx_.control.Get();
  stub->async()->Authorize(
      &call->ctx, &call->req, &call->resp, [self = shared_from_this(), call, stub](grpc::Status s) {
        if (s.error_code() == grpc::StatusCode::UNAVAILABLE) self->ctx_.control.Reset(stub);
        asio::post(self->executor_, [self, call, s] { self->OnAuthorized(s, call->resp); });
      });
}

void ClientSession::OnAuthorized(const grpc::Status& status, const v1::AuthorizeResponse& resp) {
  if (state_ != State::kAuthorizing) return;
  if (!status.ok()) {
    auto [sqlstate, message] = ClientError(status);
    return Fail(sqlstate, message);
  }
  auto link = ctx_.agents.Get(resp.agent());
  if (!link) {
    return Fail("57P03",
                absl::StrCat("agent \"", resp.agent(), "\" is not connected to this gateway"));
  }
  session_id_ = resp.session_id();
  admission_.Release();  // authenticated: no longer counts against the unauthenticated limits
  std::string secret = crypto::RandomBytes(32);
  ctx_.sessions.AwaitTunnel(session_id_, secret, weak_from_this());
  v1::AgentDirective d;
  v1::OpenSession* open = d.mutable_open_session();
  open->set_session_id(session_id_);
  open->set_connection(connection_);
  open->set_sealed_credential(resp.sealed_credential());
  open->set_credential_signature(resp.credential_signature());
  open->set_tunnel_secret(std::move(secret));
  for (const auto& [k, v] : handshake_.settings()) (*open->mutable_client_parameters())[k] = v;
  open->set_identity(resp.identity());
  for (const auto& g : resp.groups()) open->add_groups(g);
  open->set_client_address(peer_);
  open->set_tunnel_port(static_cast<uint32_t>(ctx_.tunnel_port));
  if (!link->Post(std::move(d))) {
    return Fail("57P03", absl::StrCat("agent \"", resp.agent(), "\" is not accepting sessions"));
  }
  v1::LiveSession& info = stats_->info;
  info.set_session_id(session_id_);
  info.set_identity(resp.identity());
  info.set_connection(connection_);
  info.set_client_address(peer_);
  info.set_agent(resp.agent());
  for (const auto& g : resp.groups()) info.add_groups(g);
  info.set_token_id(resp.token_id());
  info.set_token_expires_unix(resp.token_expires_unix());
  spdlog::info("session {}: {} ({}) -> connection {} via agent {}", session_id_, resp.identity(),
               peer_, connection_, resp.agent());
  state_ = State::kOpening;
  ArmTimer(std::chrono::seconds(20), "the agent to open the session");
}

}  // namespace warden::gateway
