// One agent's data-plane tunnel for one client session (common/tunnel/tunnel_frame.h): the TLS
// connection and the frames read from it but not yet consumed. Owned by the ClientSession it
// serves once its TunnelOpen was accepted; from then on only that session's executor touches it.
#pragma once

#include <asio.hpp>
#include <memory>
#include <string>

#include "common/net/maybe_tls_stream.h"
#include "common/tunnel/tunnel_frame.h"
#include "gateway/admission.h"
#include "gateway/session_registry.h"

namespace warden::gateway {

struct AgentTunnel {
  explicit AgentTunnel(asio::ip::tcp::socket socket) : stream(std::move(socket)) {}
  net::MaybeTlsStream stream;
  tunnel::FrameBuffer in;
};

// Accepts one tunnel connection: TLS handshake, then the TunnelOpen frame, within a deadline.
// A valid open hands the tunnel to the waiting ClientSession; anything else closes it.
class TunnelOpener : public std::enable_shared_from_this<TunnelOpener> {
 public:
  // `admission` is held until the opener is done; `deadline` bounds the TLS handshake and the
  // open frame together.
  TunnelOpener(asio::ip::tcp::socket socket, asio::ssl::context& tls, SessionRegistry& sessions,
               Admission::Ticket admission, std::chrono::seconds deadline);
  void Start();

 private:
  void ReadOpen();
  void OnOpenFrame(const tunnel::Frame& frame);
  void Refuse(const std::string& why);

  asio::any_io_executor executor_;
  std::unique_ptr<AgentTunnel> tunnel_;
  asio::ssl::context& tls_;
  SessionRegistry& sessions_;
  Admission::Ticket admission_;
  std::chrono::seconds timeout_;
  asio::steady_timer deadline_;
  std::string peer_;
  bool done_ = false;  // handed over or refused
};

}  // namespace warden::gateway
