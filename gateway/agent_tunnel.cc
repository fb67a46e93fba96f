#include "gateway/agent_tunnel.h"

#include <atomic>

#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/log/rate_limit.h"
#include "gateway/client_session.h"
#include "warden/v1/agent.pb.h"

namespace warden::gateway {

// Before its open frame nothing vouches for a connection: the deadline bounds how long it may
// take, and its admission ticket how many may be waiting at once.
TunnelOpener::TunnelOpener(asio::ip::tcp::socket socket, asio::ssl::context& tls,
                           SessionRegistry& sessions, Admission::Ticket admission,
                           std::chrono::seconds deadline)
    : executor_(socket.get_executor()),
      tunnel_(std::make_unique<AgentTunnel>(std::move(socket))),
      tls_(tls),
      sessions_(sessions),
      admission_(std::move(admission)),
      timeout_(deadline),
      deadline_(executor_) {
  asio::error_code ec;
  auto ep = tunnel_->stream.socket().remote_endpoint(ec);
  if (!ec) peer_ = absl::StrCat(ep.address().to_string(), ":", ep.port());
}

void TunnelOpener::Start() {
  asio::dispatch(executor_, [self = shared_from_this()] {
    self->deadline_.expires_after(self->timeout_);
    self->deadline_.async_wait([self](asio::error_code ec) {
      if (!ec && !self->done_) {
        self->Refuse(absl::StrCat("no tunnel open frame within ", self->timeout_.count(), " s"));
      }
    });
    self->tunnel_->stream.StartTls(self->tls_);
    self->tunnel_->stream.AsyncHandshake(
        asio::ssl::stream_base::server,
        asio::bind_executor(self->executor_, [self](asio::error_code ec) {
          if (self->done_) return;
          if (ec) return self->Refuse("TLS handshake failed: " + ec.message());
          self->ReadOpen();
        }));
  });
}

void TunnelOpener::ReadOpen() {
  auto r = tunnel_->in.Next(tunnel::kMaxOpenPayload);
  if (r.status == tunnel::DecodeStatus::kFrame) return OnOpenFrame(r.frame);
  if (r.status == tunnel::DecodeStatus::kError) return Refuse(r.error);
  char* space = tunnel_->in.WriteSpace();
  tunnel_->stream.AsyncReadSome(
      asio::buffer(space, tunnel_->in.WriteSpaceSize()),
      asio::bind_executor(executor_, [self = shared_from_this()](asio::error_code ec, size_t n) {
        if (self->done_) return;
        if (ec) return self->Refuse("closed before its open frame: " + ec.message());
        self->tunnel_->in.Commit(n);
        self->ReadOpen();
      }));
}

void TunnelOpener::OnOpenFrame(const tunnel::Frame& frame) {
  v1::TunnelOpen open;
  if (frame.type != tunnel::FrameType::kOpen ||
      !open.ParseFromArray(frame.payload.data(), static_cast<int>(frame.payload.size()))) {
    return Refuse("the first frame is not a tunnel open");
  }
  tunnel_->in.Consume(frame);
  auto session = sessions_.ClaimTunnel(open.session_id(), open.tunnel_secret());
  if (!session) {
    // Either a stale agent or someone guessing: the log names the session, never the secret.
    return Refuse(absl::StrCat("no client session ", open.session_id(),
                               " is waiting for this tunnel (or the secret is wrong)"));
  }
  done_ = true;
  deadline_.cancel();
  admission_.Release();
  session->OnTunnelAttached(std::move(tunnel_));
}

void TunnelOpener::Refuse(const std::string& why) {
  if (done_) return;
  done_ = true;
  static log::RateLimit limit;  // whoever reaches the tunnel port can cause these
  if (auto left_out = limit.Admit()) {
    spdlog::warn("agent tunnel from {} refused: {}{}", peer_, why, log::LeftOut(*left_out));
  }
  deadline_.cancel();
  admission_.Release();
  tunnel_->stream.Close();
  // The handshake or read still pending completes with an error on this executor; the opener
  // (and the stream it uses) lives until then through the handlers' references.
}

}  // namespace warden::gateway
