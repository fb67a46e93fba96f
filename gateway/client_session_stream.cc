// ClientSession, part two: the agent's tunnel, the splice between it and the client, and the
// end of the session.
#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/log/rate_limit.h"
#include "common/pgwire/pgwire.h"
#include "gateway/client_session.h"
#include "warden/v1/agent.pb.h"

namespace warden::gateway {

void ClientSession::OnTunnelAttached(std::unique_ptr<AgentTunnel> tunnel) {
  asio::post(executor_, [self = shared_from_this(), t = std::move(tunnel)]() mutable {
    if (self->state_ != State::kOpening) {
      t->stream.Close();  // the client gave up meanwhile; the agent sees the tunnel end
      return;
    }
    self->tunnel_ = std::move(t);
    self->ReadTunnel();
  });
}

// Decodes every whole frame received, then reads more. Returns to the event loop (without
// reading) while a data frame is being written to the client.
void ClientSession::ReadTunnel() {
  if (tunnel_closed_) return;
  for (;;) {
    auto r = tunnel_->in.Next();
    if (r.status == tunnel::DecodeStatus::kError) return TunnelBroke(r.error);
    if (r.status == tunnel::DecodeStatus::kNeedMore) break;
    tunnel_->in.Consume(r.frame);  // the payload stays put until the next WriteSpace()
    if (!OnTunnelFrame(r.frame)) return;
  }
  tunnel_->in.Shrink();
  char* space = tunnel_->in.WriteSpace();
  tunnel_->stream.AsyncReadSome(
      asio::buffer(space, tunnel_->in.WriteSpaceSize()),
      asio::bind_executor(executor_, [self = shared_from_this()](asio::error_code ec, size_t n) {
        if (self->tunnel_closed_) return;
        if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
          return self->TunnelBroke("");
        }
        if (ec) return self->TunnelBroke(ec.message());
        self->tunnel_->in.Commit(n);
        self->ReadTunnel();
      }));
}

// Handles one frame from the agent; false when decoding must stop (a write to the client is
// under way, or the session ended).
bool ClientSession::OnTunnelFrame(const tunnel::Frame& frame) {
  switch (frame.type) {
    case tunnel::FrameType::kReady: {
      v1::TunnelReady ready;
      if (state_ != State::kOpening ||
          !ready.ParseFromArray(frame.payload.data(), static_cast<int>(frame.payload.size()))) {
        TunnelBroke("unexpected or malformed ready frame");
        return false;
      }
      StartStreaming(ready);
      return state_ == State::kStreaming;
    }
    case tunnel::FrameType::kData:
      if (state_ != State::kStreaming) {
        TunnelBroke("data before the session was ready");
        return false;
      }
      if (frame.payload.empty()) return true;
      stats_->bytes_out.fetch_add(frame.payload.size(), std::memory_order_relaxed);
      to_client_.Feed(frame.payload, [](char) {});
      writes_.push_back(Write{{}, frame.payload, /*resume_tunnel=*/true, nullptr});
      if (!writing_) PumpWrites();
      return false;
    case tunnel::FrameType::kClose: {
      v1::TunnelClose close;
      if (!close.ParseFromArray(frame.payload.data(), static_cast<int>(frame.payload.size()))) {
        TunnelBroke("malformed close frame");
        return false;
      }
      // The client's own Terminate ended it: closed quietly, as PostgreSQL closes.
      if (state_ == State::kStreaming && close.sqlstate().empty() && close.message().empty()) {
        Close();
        return false;
      }
      Fail(close.sqlstate().empty() ? "08006" : close.sqlstate(),
           close.message().empty() ? "the session ended" : close.message());
      return false;
    }
    default:
      TunnelBroke(absl::StrCat("unexpected frame type ", static_cast<int>(frame.type)));
      return false;
  }
}

// The tunnel ended without a close frame (`why` empty), or broke.
void ClientSession::TunnelBroke(const std::string& why) {
  if (!why.empty()) spdlog::warn("session {}: agent tunnel: {}", session_id_, why);
  if (state_ == State::kOpening || state_ == State::kStreaming) {
    Fail("08006", why.empty() ? "the agent ended the session" : "the tunnel to the agent broke");
  } else {
    Close();
  }
}

void ClientSession::StartStreaming(const v1::TunnelReady& ready) {
  timer_.cancel();
  const std::string& startup_messages = ready.startup_messages();
  cancel_key_ = ctx_.sessions.AddCancelKey(ready.backend_process_id(), weak_from_this());
  const auto [pid, secret] = cancel_key_;
  stats_->info.set_started_unix(std::chrono::duration_cast<std::chrono::seconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count());
  ctx_.sessions.AddLive(stats_);
  // AuthenticationOk, the database's own startup messages, and our BackendKeyData just before
  // the final ReadyForQuery, where the server puts its own.
  std::string out = pgwire::BuildAuthenticationOk();
  constexpr size_t kReadyForQuerySize = 6;
  size_t split = startup_messages.size() >= kReadyForQuerySize
                     ? startup_messages.size() - kReadyForQuerySize
                     : startup_messages.size();
  out.append(startup_messages.substr(0, split));
  out += pgwire::BuildBackendKeyData(pid, secret);
  out.append(startup_messages.substr(split));
  Send(std::move(out));
  state_ = State::kStreaming;
  // The database accepted the session: statements flow through both streams from now on.
  stream_.KeepTlsBuffers();
  tunnel_->stream.KeepTlsBuffers();
  std::string pipelined = handshake_.TakePipelined();
  if (pipelined.empty()) return ReadClient();
  // The client pipelined messages behind its password; they are bounded by the pre-auth limit.
  if (pipelined.size() > readbuf_.size() - tunnel::kHeaderSize) {
    return Fail("08P01", "too much data before authentication");
  }
  std::memcpy(readbuf_.data() + tunnel::kHeaderSize, pipelined.data(), pipelined.size());
  const size_t n = pipelined.size();
  ForwardClientChunk(n);
}

void ClientSession::ReadClient() {
  if (state_ != State::kStreaming) return;
  stream_.AsyncReadSome(
      asio::buffer(readbuf_.data() + tunnel::kHeaderSize, readbuf_.size() - tunnel::kHeaderSize),
      asio::bind_executor(executor_, [self = shared_from_this()](auto ec, size_t n) {
        if (ec) return self->Close();  // the client left: the tunnel ends with it
        if (self->state_ != State::kStreaming) return;
        self->ForwardClientChunk(n);
      }));
}

// readbuf_ holds n client bytes after the header room: send them as one data frame.
void ClientSession::ForwardClientChunk(size_t n) {
  stats_->bytes_in.fetch_add(n, std::memory_order_relaxed);
  tunnel::WriteHeader(readbuf_.data(), tunnel::FrameType::kData, static_cast<uint32_t>(n));
  client_chunk_ = n;
  PumpTunnelWrites();
}

void ClientSession::PumpTunnelWrites() {
  if (tunnel_writing_ || tunnel_closed_ || !tunnel_) return;
  static const std::string kCancelFrame = tunnel::EncodeFrame(tunnel::FrameType::kCancel, "");
  asio::const_buffer buf;
  bool chunk = false;
  if (cancels_ > 0) {
    --cancels_;
    buf = asio::buffer(kCancelFrame);
  } else if (client_chunk_ > 0) {
    chunk = true;
    buf = asio::buffer(readbuf_.data(), tunnel::kHeaderSize + client_chunk_);
  } else {
    return;
  }
  tunnel_writing_ = true;
  tunnel_->stream.AsyncWrite(
      buf, asio::bind_executor(executor_, [self = shared_from_this(), chunk](auto ec, size_t) {
        self->tunnel_writing_ = false;
        if (self->tunnel_closed_) return;
        if (ec) return self->TunnelBroke("write failed: " + ec.message());
        if (chunk) {
          self->client_chunk_ = 0;
          self->ReadClient();  // back-pressure: the next chunk only after this one left
        }
        self->PumpTunnelWrites();
      }));
}

void ClientSession::RequestCancel() {
  asio::post(executor_, [self = shared_from_this()] {
    if (self->state_ != State::kStreaming) return;
    ++self->cancels_;
    self->PumpTunnelWrites();
  });
}

void ClientSession::Send(std::string bytes, std::function<void()> done) {
  writes_.push_back(Write{std::move(bytes), {}, false, std::move(done)});
  if (!writing_) PumpWrites();
}

void ClientSession::PumpWrites() {
  writing_ = true;
  const Write& w = writes_.front();
  asio::const_buffer buf = w.frame.empty() ? asio::buffer(w.bytes) : asio::buffer(w.frame);
  stream_.AsyncWrite(buf,
                     asio::bind_executor(executor_, [self = shared_from_this()](auto ec, size_t) {
                       Write done = std::move(self->writes_.front());
                       self->writes_.pop_front();
                       self->writing_ = false;
                       if (ec) return self->Close();
                       if (done.done) done.done();
                       if (done.resume_tunnel) self->ReadTunnel();
                       if (!self->writes_.empty() && !self->writing_) self->PumpWrites();
                     }));
}

void ClientSession::Fail(const std::string& sqlstate, const std::string& message) {
  if (state_ == State::kClosed) return;
  // Before authentication anyone can cause these (a bad token, a bad startup packet).
  static log::RateLimit unauthenticated;
  if (!session_id_.empty()) {
    spdlog::info("session {} ({}): {} {}", session_id_, peer_, sqlstate, message);
  } else if (auto left_out = unauthenticated.Admit()) {
    spdlog::info("session - ({}): {} {}{}", peer_, sqlstate, message, log::LeftOut(*left_out));
  }
  // Inside a message the agent relayed (it sends whole ones, but one too large to hold back is
  // relayed as it comes), a FATAL would be read as the rest of it: the connection just closes.
  if (!to_client_.at_boundary()) {
    spdlog::info("session {}: closed inside a message, without telling the client: {}", session_id_,
                 message);
    state_ = State::kClosed;
    return Close();
  }
  state_ = State::kClosed;
  Send(pgwire::BuildErrorResponse("FATAL", sqlstate, message),
       [self = shared_from_this()] { self->Close(); });
  // A client that does not read (or never finishes a TLS handshake) must not keep the
  // connection: close regardless after a short grace period.
  timer_.expires_after(std::chrono::seconds(5));
  timer_.async_wait(asio::bind_executor(executor_, [self = shared_from_this()](auto ec) {
    if (!ec) self->Close();
  }));
}

void ClientSession::Close() {
  if (stream_closed_) return;
  stream_closed_ = true;
  state_ = State::kClosed;
  timer_.cancel();
  if (tunnel_ && !tunnel_closed_) {
    tunnel_closed_ = true;
    // Pending tunnel operations complete with an error; the tunnel object outlives them.
    tunnel_->stream.Close();
  }
  tunnel_closed_ = true;
  if (!session_id_.empty()) ctx_.sessions.ForgetTunnel(session_id_);
  if (cancel_key_.first != 0) ctx_.sessions.RemoveCancelKey(cancel_key_);
  if (!session_id_.empty()) ctx_.sessions.RemoveLive(session_id_);
  stream_.Close();
  if (!session_id_.empty()) {
    spdlog::info("session {} closed ({} bytes in, {} bytes out)", session_id_,
                 stats_->bytes_in.load(), stats_->bytes_out.load());
  }
}

}  // namespace warden::gateway
