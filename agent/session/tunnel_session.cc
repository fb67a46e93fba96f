#include "agent/session/tunnel_session.h"

#include "agent/session/cancel_sender.h"
#include "common/grpcutil/grpc_util.h"
#include "common/log/log.h"
#include "common/pgwire/frontend_builders.h"

namespace warden::agent {

namespace {

// TunnelClose.message is a proto3 string, which must be UTF-8 (a parser rejects the whole frame
// otherwise); a database's error text is in its own encoding. Invalid sequences become '?'.
std::string ValidUtf8(const std::string& in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size();) {
    auto c = static_cast<unsigned char>(in[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    bool ok = n > 0 && i + n <= in.size();
    for (size_t k = 1; ok && k < n; ++k) {
      ok = (static_cast<unsigned char>(in[i + k]) & 0xc0) == 0x80;
    }
    if (ok) {
      out.append(in, i, n);
      i += n;
    } else {
      out.push_back('?');
      ++i;
    }
  }
  return out;
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
      strand_(asio::make_strand(*env->io)),
      upstream_(strand_),
      resolver_(strand_),
      timer_(strand_),
      read_buf_(new char[kMaxFrameBytes]),
      data_frame_(std::make_unique<v1::TunnelFrame>()),
      started_(std::chrono::steady_clock::now()) {
  data_frame_raw_ = data_frame_.get();
}

TunnelSession::~TunnelSession() { WipeString(handshake_out_); }

void TunnelSession::Start() {
  self_ = shared_from_this();
  ctx_.AddMetadata(grpcutil::kAuthorizationKey, "Bearer " + env_->agent_token);
  env_->stub->async()->Tunnel(&ctx_, this);
  // The hold keeps OnDone away until the strand has started its last operation (ReleaseHold).
  AddHold();
  auto open = std::make_unique<v1::TunnelFrame>();
  open->mutable_open()->set_session_id(open_.session_id());
  open->mutable_open()->set_tunnel_secret(open_.tunnel_secret());
  writing_ = std::move(open);
  StartWrite(writing_.get());
  reading_ = true;
  StartRead(&in_frame_);
  StartCall();
  asio::post(strand_, [self = shared_from_this()] { self->BeginStartup(); });
}

void TunnelSession::Abort() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->phase_ == Phase::kDone) return;
    self->ctx_.TryCancel();
    self->upstream_.Close();
  });
}

// ---- gRPC callbacks: hop to the strand, nothing else.

void TunnelSession::OnReadDone(bool ok) {
  asio::post(strand_, [self = shared_from_this(), ok] { self->HandleInbound(ok); });
}

void TunnelSession::OnWriteDone(bool ok) {
  asio::post(strand_, [self = shared_from_this(), ok] { self->HandleWriteDone(ok); });
}

void TunnelSession::OnDone(const grpc::Status& status) {
  asio::post(strand_, [self = shared_from_this(), status] { self->HandleDone(status); });
}

// ---- Writes to the tunnel: one in flight, the rest queued in order.

void TunnelSession::SendFrame(std::unique_ptr<v1::TunnelFrame> frame, bool last) {
  if (hold_released_ || last_write_started_) return;  // the stream takes no more writes
  write_queue_.push_back({std::move(frame), last});
  WriteNextFrame();
}

void TunnelSession::WriteNextFrame() {
  if (writing_ || write_queue_.empty() || hold_released_) return;
  PendingWrite next = std::move(write_queue_.front());
  write_queue_.pop_front();
  writing_ = std::move(next.frame);
  if (next.last) {
    last_write_started_ = true;
    StartWriteLast(writing_.get(), grpc::WriteOptions());
  } else {
    StartWrite(writing_.get());
  }
}

void TunnelSession::HandleWriteDone(bool ok) {
  std::unique_ptr<v1::TunnelFrame> done = std::move(writing_);
  bool was_data = done.get() == data_frame_raw_;
  if (was_data) data_frame_ = std::move(done);
  if (!ok) return GatewayGone();  // the stream is broken: the gateway is gone
  if (last_write_started_ && write_queue_.empty()) {
    // Our TunnelClose is out: the gateway ends the stream; the linger timer bounds the wait.
    return ReleaseHold();
  }
  WriteNextFrame();
  if (was_data) ReadUpstream();
}

// ---- Reads from the tunnel.

void TunnelSession::ReadNextFrame() {
  if (reading_ || hold_released_ || gateway_gone_) return;
  reading_ = true;
  StartRead(&in_frame_);
}

void TunnelSession::HandleInbound(bool ok) {
  reading_ = false;
  if (!ok) return GatewayGone();
  switch (in_frame_.frame_case()) {
    case v1::TunnelFrame::kData:
      if (phase_ == Phase::kPumping) return WriteUpstream();
      // The client cannot speak before TunnelReady, but keep it: it goes out once pumping,
      // and no further frame is read until then.
      if (!Stopping()) inbound_waiting_ = true;
      return;
    case v1::TunnelFrame::kCancel:
      SendCancel();
      return ReadNextFrame();
    case v1::TunnelFrame::kClose:
      return GatewayGone();
    default:
      spdlog::warn("session {}: ignoring an unexpected tunnel frame ({})", session_id(),
                   static_cast<int>(in_frame_.frame_case()));
      return ReadNextFrame();
  }
}

// ---- The pump.

void TunnelSession::WriteUpstream() {
  if (auto st = seam_.FrontendBytes(in_frame_.mutable_data()); !st.ok()) {
    return CloseTunnel("08P01", absl::StrCat("protocol violation: ", st.message()));
  }
  if (in_frame_.data().empty()) return ReadNextFrame();
  upstream_writing_ = true;
  upstream_.AsyncWrite(
      asio::buffer(in_frame_.data()),
      [self = shared_from_this()](asio::error_code ec, size_t) { self->OnUpstreamWritten(ec); });
}

void TunnelSession::OnUpstreamWritten(asio::error_code ec) {
  upstream_writing_ = false;
  if (Stopping()) return;
  if (ec) {
    return CloseTunnel("08006", "the connection to the database failed: " + ec.message());
  }
  ReadNextFrame();
}

void TunnelSession::ReadUpstream() {
  if (phase_ != Phase::kPumping || upstream_reading_ || !data_frame_) return;
  upstream_reading_ = true;
  upstream_.AsyncReadSome(
      asio::buffer(read_buf_.get(), kMaxFrameBytes),
      [self = shared_from_this()](asio::error_code ec, size_t n) { self->OnUpstreamData(ec, n); });
}

void TunnelSession::OnUpstreamData(asio::error_code ec, size_t n) {
  upstream_reading_ = false;
  if (Stopping()) return;
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
    return CloseTunnel("08006", "the database closed the connection");
  }
  if (ec) return CloseTunnel("08006", "the connection to the database failed: " + ec.message());
  std::string* data = data_frame_->mutable_data();
  data->assign(read_buf_.get(), n);
  if (auto st = seam_.BackendBytes(data); !st.ok()) {
    return CloseTunnel("08P01", absl::StrCat("the database broke the protocol: ", st.message()));
  }
  if (data->empty()) return ReadUpstream();
  SendFrame(std::move(data_frame_));
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

// The database side ended (or never started): tell the client why, then end the stream.
void TunnelSession::CloseTunnel(const std::string& sqlstate, const std::string& message) {
  if (Stopping()) return;
  phase_ = Phase::kClosing;
  spdlog::info("session {}: closing tunnel: {} ({})", session_id(), message, sqlstate);
  upstream_.Close();
  resolver_.cancel();
  auto close = std::make_unique<v1::TunnelFrame>();
  close->mutable_close()->set_sqlstate(sqlstate);
  close->mutable_close()->set_message(ValidUtf8(message));
  SendFrame(std::move(close), /*last=*/true);
  timer_.expires_after(env_->close_linger);
  timer_.async_wait([self = shared_from_this()](asio::error_code ec) {
    if (!ec && self->phase_ != Phase::kDone) self->ctx_.TryCancel();
  });
}

// The gateway ended the stream (the client left, or the gateway went away): close the database
// connection, politely when nothing is in flight.
void TunnelSession::GatewayGone() {
  if (gateway_gone_) return;
  gateway_gone_ = true;
  bool polite = phase_ == Phase::kPumping && !upstream_writing_ && seam_.IdleForTerminate();
  if (phase_ != Phase::kDone) phase_ = Phase::kClosing;
  resolver_.cancel();
  if (polite) {
    static const std::string kTerminate = pgwire::BuildTerminate();
    upstream_.AsyncWrite(
        asio::buffer(kTerminate),
        [self = shared_from_this()](asio::error_code, size_t) { self->upstream_.Close(); });
  } else {
    upstream_.Close();
  }
  ReleaseHold();
}

void TunnelSession::ReleaseHold() {
  if (hold_released_) return;
  hold_released_ = true;
  RemoveHold();
}

void TunnelSession::HandleDone(const grpc::Status& status) {
  phase_ = Phase::kDone;
  upstream_.Close();
  timer_.cancel();
  resolver_.cancel();
  WipeString(handshake_out_);
  handshake_.reset();
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  if (status.ok() || status.error_code() == grpc::StatusCode::CANCELLED) {
    spdlog::info("session {}: ended after {:.1f}s ({} bytes from client, {} from database)",
                 session_id(), secs, seam_.frontend_bytes(), seam_.backend_bytes());
  } else {
    spdlog::warn("session {}: tunnel ended with {}: {} after {:.1f}s", session_id(),
                 static_cast<int>(status.error_code()), status.error_message(), secs);
  }
  if (env_->on_done) env_->on_done(session_id());
  self_.reset();  // the session goes when its last pending handler does
}

}  // namespace warden::agent
