#include "agent/runtime/tunnel_session.h"

#include "agent/runtime/cancel_sender.h"
#include "common/log/log.h"
#include "common/net/session_executor.h"
#include "common/pgwire/frontend_builders.h"
#include "common/util/utf8.h"

namespace warden::agent {

namespace {

// TunnelClose.message is a proto3 string, which must be UTF-8 (a parser rejects the whole frame
// otherwise); a database's error text is in its own encoding: ValidUtf8 (common/util/utf8.h).

bool EndOfStream(const asio::error_code& ec) {
  return ec == asio::error::eof || ec == asio::ssl::error::stream_truncated;
}

}  // namespace

std::shared_ptr<TunnelSession> TunnelSession::Create(
    std::shared_ptr<const TunnelEnv> env, v1::OpenSession open,
    std::optional<v1::ServedConnection> connection) {
  return std::shared_ptr<TunnelSession>(
      new TunnelSession(std::move(env), std::move(open), std::move(connection)));
}

TunnelSession::TunnelSession(std::shared_ptr<const TunnelEnv> env, v1::OpenSession open,
                             std::optional<v1::ServedConnection> connection)
    : env_(env),
      open_(std::move(open)),
      connection_(std::move(connection)),
      executor_(net::SessionExecutor(*env->io, env->io_threads)),
      upstream_(executor_),
      resolver_(executor_),
      timer_(executor_),
      expiry_timer_(executor_),
      read_buf_(new char[kMaxFrameBytes]),
      approval_timer_(executor_),
      tunnel_(executor_),
      tunnel_resolver_(executor_),
      started_(std::chrono::steady_clock::now()) {}

TunnelSession::~TunnelSession() { WipeString(handshake_out_); }

void TunnelSession::Start() {
  self_ = shared_from_this();
  asio::post(executor_, [self = shared_from_this()] {
    v1::TunnelOpen open;
    open.set_session_id(self->open_.session_id());
    open.set_tunnel_secret(self->open_.tunnel_secret());
    self->QueueControl(tunnel::FrameType::kOpen, open);  // the first frame, whatever follows
    self->ConnectTunnel();
    self->BeginStartup();
  });
}

void TunnelSession::Abort() {
  asio::post(executor_, [self = shared_from_this()] { self->Finish(); });
}

void TunnelSession::End(std::string sqlstate, std::string message) {
  asio::post(executor_, [self = shared_from_this(), sqlstate = std::move(sqlstate),
                         message = std::move(message)] {
    if (self->Stopping()) return;
    spdlog::info("session {}: ended by the control plane: {}", self->session_id(), message);
    // A backend inside a statement would run it to the end before noticing the closed socket
    // (client_connection_check_interval is off by default): cancel it first. Once cancelled it
    // writes its error to the closed connection, or reads its end, and exits.
    if (self->phase_ == Phase::kPumping) self->SendCancel();
    self->CloseTunnel(sqlstate, message);
  });
}

// ---- The tunnel: dial the gateway, TLS with its certificate checked against the pinned CA.

void TunnelSession::ConnectTunnel() {
  if (open_.tunnel_port() == 0 || open_.tunnel_port() > 65535) {
    return GatewayGone("the gateway did not say where to open the tunnel (tunnel_port)");
  }
  tunnel_resolver_.async_resolve(
      env_->gateway_host, std::to_string(open_.tunnel_port()),
      [self = shared_from_this()](asio::error_code ec, auto results) {
        if (self->tunnel_gone_) return;
        if (ec) return self->GatewayGone("cannot resolve the gateway: " + ec.message());
        asio::async_connect(
            self->tunnel_.socket(), results, [self](asio::error_code ec, const auto&) {
              if (self->tunnel_gone_) return;
              if (ec) return self->GatewayGone("cannot connect to the gateway: " + ec.message());
              asio::error_code ignored;
              self->tunnel_.socket().set_option(asio::ip::tcp::no_delay(true), ignored);
              self->tunnel_.StartTls(*self->env_->gateway_tls, self->env_->gateway_host,
                                     /*verify=*/true);
              self->tunnel_.AsyncTlsHandshake(
                  [self](asio::error_code ec) { self->OnTunnelConnected(ec); });
            });
      });
}

void TunnelSession::OnTunnelConnected(asio::error_code ec) {
  if (tunnel_gone_) return;
  if (ec) return GatewayGone("TLS with the gateway failed: " + ec.message());
  tunnel_up_ = true;
  PumpTunnel();
  ReadTunnel();
}

// ---- Writes to the tunnel: one in flight, the rest queued in order.

void TunnelSession::QueueControl(tunnel::FrameType type,
                                 const google::protobuf::MessageLite& payload, bool last) {
  if (tunnel_gone_) return;
  tunnel_queue_.push_back({tunnel::EncodeFrame(type, payload.SerializeAsString()), last});
  PumpTunnel();
}

void TunnelSession::QueueData() {
  data_sent_ = 0;
  data_queued_ = true;
  tunnel_queue_.push_back({});
  PumpTunnel();
}

void TunnelSession::PumpTunnel() {
  if (!tunnel_up_ || tunnel_writing_ || tunnel_gone_ || tunnel_queue_.empty()) return;
  tunnel_writing_ = true;
  const Outgoing& next = tunnel_queue_.front();
  if (!next.frame.empty()) {
    tunnel_.AsyncWrite(asio::buffer(next.frame),
                       [self = shared_from_this(), last = next.last](asio::error_code ec, size_t) {
                         self->OnTunnelWritten(ec, /*was_data=*/false, last, 0);
                       });
    return;
  }
  // Database bytes: as one frame unless the seam produced more than a frame may carry.
  size_t chunk = std::min(tunnel::kMaxPayload, data_out_.size() - data_sent_);
  tunnel::WriteHeader(data_header_, tunnel::FrameType::kData, static_cast<uint32_t>(chunk));
  std::array<asio::const_buffer, 2> buffers{asio::buffer(data_header_),
                                            asio::buffer(data_out_.data() + data_sent_, chunk)};
  tunnel_.AsyncWrite(buffers, [self = shared_from_this(), chunk](asio::error_code ec, size_t) {
    self->OnTunnelWritten(ec, /*was_data=*/true, false, chunk);
  });
}

void TunnelSession::OnTunnelWritten(asio::error_code ec, bool was_data, bool was_last,
                                    size_t payload) {
  tunnel_writing_ = false;
  if (tunnel_gone_) return;
  if (ec) return GatewayGone("writing to the gateway failed: " + ec.message());
  if (was_data) {
    data_sent_ += payload;
    if (data_sent_ < data_out_.size()) return PumpTunnel();
    tunnel_queue_.pop_front();
    data_out_.clear();
    data_queued_ = false;
    PumpTunnel();
    return ReadUpstream();  // back-pressure: the next read only once this one left
  }
  tunnel_queue_.pop_front();
  if (was_last) {
    // Our close frame is out: no more writes. The gateway closes the tunnel once it read it;
    // reading on until then (bounded by the linger timer) keeps that frame from being lost to a
    // reset, which closing with unread data would cause.
    asio::error_code ignored;
    tunnel_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    return;
  }
  PumpTunnel();
}

// ---- Reads from the tunnel.

// Decodes every whole frame received, then reads more; pauses while client bytes are being
// written to the database (or wait for the pump to start).
void TunnelSession::ReadTunnel() {
  // While client bytes are written to the database nothing more is decoded: the write's end
  // resumes here.
  if (tunnel_gone_ || upstream_writing_) return;
  for (;;) {
    auto r = tunnel_in_.Next();
    if (r.status == tunnel::DecodeStatus::kError) {
      return GatewayGone("the gateway broke the tunnel protocol: " + r.error);
    }
    if (r.status == tunnel::DecodeStatus::kNeedMore) break;
    tunnel_in_.Consume(r.frame);  // the payload stays put until the next WriteSpace()
    switch (r.frame.type) {
      case tunnel::FrameType::kData:
        if (r.frame.payload.empty() || Stopping()) continue;
        if (phase_ == Phase::kPumping) return WriteUpstream(r.frame.payload);
        // The client cannot speak before the ready frame, but keep it: it goes out once the
        // pump starts, and nothing more is read until then.
        held_inbound_ = r.frame.payload;
        return;
      case tunnel::FrameType::kCancel:
        if (seam_.state() == QueryState::kHeld) {
          // What runs before the held statement is cancelled as PostgreSQL would cancel it;
          // the held one is withdrawn.
          // So is the agent's own EXPLAIN of it, should it still be planning.
          if (seam_.database_busy() || seam_.estimating()) SendCancel();
          WithdrawApproval("the client cancelled its statement");
          return OnHoldDecided(HoldRelease::Cancelled());
        }
        SendCancel();
        continue;
      default:
        return GatewayGone("unexpected frame type from the gateway");
    }
  }
  // A read may already be in flight (a released hold's bytes were written meanwhile): its
  // buffer must stay put.
  if (tunnel_reading_) return;
  tunnel_in_.Shrink();
  char* space = tunnel_in_.WriteSpace();
  tunnel_reading_ = true;
  tunnel_.AsyncReadSome(
      asio::buffer(space, tunnel_in_.WriteSpaceSize()),
      [self = shared_from_this()](asio::error_code ec, size_t n) {
        self->tunnel_reading_ = false;
        if (self->tunnel_gone_) return;
        if (EndOfStream(ec)) return self->GatewayGone("");
        if (ec) return self->GatewayGone("reading from the gateway failed: " + ec.message());
        self->tunnel_in_.Commit(n);
        self->ReadTunnel();
      });
}

// ---- The pump.

void TunnelSession::WriteUpstream(std::string_view client_bytes) {
  upstream_out_.assign(client_bytes);  // the buffer's capacity is reused chunk after chunk
  if (auto st = seam_.FrontendBytes(&upstream_out_); !st.ok()) {
    // Past the bound a hold keeps: the client is told why.
    if (absl::IsResourceExhausted(st)) return CloseTunnel("54000", std::string(st.message()));
    return CloseTunnel("08P01", absl::StrCat("protocol violation: ", st.message()));
  }
  AfterClientBytes();
  StartUpstreamWrite();
}

// upstream_out_ (bytes for the database after the seam) out; the tunnel is read again once
// they are written.
void TunnelSession::StartUpstreamWrite() {
  if (upstream_out_.empty()) return ReadTunnel();
  upstream_writing_ = true;
  upstream_.AsyncWrite(
      asio::buffer(upstream_out_),
      [self = shared_from_this()](asio::error_code ec, size_t) { self->OnUpstreamWritten(ec); });
}

void TunnelSession::OnUpstreamWritten(asio::error_code ec) {
  upstream_writing_ = false;
  upstream_out_.clear();  // keeps its capacity; a released hold appends here
  if (phase_ == Phase::kDone) return;
  if (ec && !Stopping()) {
    return CloseTunnel("08006", "the connection to the database failed: " + ec.message());
  }
  if (pending_release_ && !Stopping()) {
    return OnHoldDecided(*std::exchange(pending_release_, std::nullopt));
  }
  if (approval_.flushing) ContinueEstimate();
  ReadTunnel();  // while closing, this only waits for the gateway to close the tunnel
}

void TunnelSession::ReadUpstream() {
  if (phase_ != Phase::kPumping || upstream_reading_ || data_queued_) return;
  upstream_reading_ = true;
  upstream_.AsyncReadSome(
      asio::buffer(read_buf_.get(), kMaxFrameBytes),
      [self = shared_from_this()](asio::error_code ec, size_t n) { self->OnUpstreamData(ec, n); });
}

void TunnelSession::OnUpstreamData(asio::error_code ec, size_t n) {
  upstream_reading_ = false;
  if (Stopping()) return;
  if (EndOfStream(ec)) {
    // After the client's Terminate this is the end it asked for: no error for it to read.
    if (seam_.client_terminated()) return CloseTunnel("", "the client ended the session");
    return CloseTunnel("08006", "the database closed the connection");
  }
  if (ec) return CloseTunnel("08006", "the connection to the database failed: " + ec.message());
  data_out_.assign(read_buf_.get(), n);
  ForwardBackendBytes();
}

// data_out_ holds bytes from the database: through the seam, then out as data frames.
void TunnelSession::ForwardBackendBytes() {
  if (auto st = seam_.BackendBytes(&data_out_); !st.ok()) {
    // FailedPrecondition: the session left what Warden can enforce (its message says how).
    if (absl::IsFailedPrecondition(st)) return CloseTunnel("08P01", std::string(st.message()));
    return CloseTunnel("08P01", absl::StrCat("the database broke the protocol: ", st.message()));
  }
  // Whole messages only (a small trailing part waits for the rest): a kill or an error ending
  // the session then follows a whole message, never lands inside a row the client is reading.
  to_client_.Cut(&data_out_);
  // The held statement's EXPLAIN was answered (its answer never reaches the client).
  if (approval_.estimating && !seam_.estimating()) OnEstimated();
  ContinueEstimate();
  if (Stopping()) return;
  if (data_out_.empty()) return ReadUpstream();
  QueueData();
}

void TunnelSession::SendCancel() {
  if (!backend_key_ || phase_ != Phase::kPumping) {
    spdlog::info("session {}: cancel requested but no query can be running yet", session_id());
    return;
  }
  SendCancelRequest(*env_->io, endpoint_, backend_key_->process_id, backend_key_->secret_key,
                    session_id());
}

// ---- The end.

// The database side ended (or never started): tell the client why, then wait (bounded) for the
// gateway to close the tunnel.
void TunnelSession::CloseTunnel(const std::string& sqlstate, const std::string& message) {
  if (Stopping()) return;
  phase_ = Phase::kClosing;
  spdlog::info("session {}: closing tunnel: {} ({})", session_id(), message, sqlstate);
  EndApproval();
  upstream_.Close();
  resolver_.cancel();
  if (tunnel_gone_) return Finish();
  v1::TunnelClose close;
  close.set_sqlstate(sqlstate);
  // No SQLSTATE: an orderly end (the client's Terminate), which the gateway closes quietly.
  if (!sqlstate.empty()) close.set_message(ValidUtf8(message));
  QueueControl(tunnel::FrameType::kClose, close, /*last=*/true);
  timer_.expires_after(env_->close_linger);
  timer_.async_wait([self = shared_from_this()](asio::error_code ec) {
    if (!ec) self->Finish();
  });
  if (!held_inbound_.empty()) {
    held_inbound_ = {};
    ReadTunnel();
  }
}

// The tunnel ended (the client left, or the gateway went away; `why` is empty for an orderly
// close): close the database connection, politely when nothing is in flight.
void TunnelSession::GatewayGone(const std::string& why) {
  if (tunnel_gone_) return;
  tunnel_gone_ = true;
  if (!why.empty()) spdlog::warn("session {}: tunnel: {}", session_id(), why);
  tunnel_.Close();
  tunnel_resolver_.cancel();
  EndApproval();
  bool polite = phase_ == Phase::kPumping && !upstream_writing_ && seam_.IdleForTerminate();
  if (phase_ != Phase::kDone) phase_ = Phase::kClosing;
  resolver_.cancel();
  if (!polite) return Finish();
  static const std::string kTerminate = pgwire::BuildTerminate();
  upstream_.AsyncWrite(asio::buffer(kTerminate),
                       [self = shared_from_this()](asio::error_code, size_t) { self->Finish(); });
}

void TunnelSession::Finish() {
  if (phase_ == Phase::kDone) return;
  phase_ = Phase::kDone;
  tunnel_gone_ = true;
  tunnel_.Close();
  upstream_.Close();
  EndApproval();
  timer_.cancel();
  expiry_timer_.cancel();
  approval_timer_.cancel();
  resolver_.cancel();
  tunnel_resolver_.cancel();
  WipeString(handshake_out_);
  handshake_.reset();
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  spdlog::info("session {}: ended after {:.1f}s ({} bytes from client, {} from database)",
               session_id(), secs, seam_.frontend_bytes(), seam_.backend_bytes());
  if (env_->on_done) env_->on_done(session_id());
  self_.reset();  // the session goes when its last pending handler does
}

}  // namespace warden::agent
