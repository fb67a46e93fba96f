// One PostgreSQL client on the gateway (DESIGN.md §1 "Session flow"), as an explicit state
// machine on the session's executor (net::SessionExecutor):
//   kHandshake    SSL, startup and the password carrying the Warden token: the I/O-free
//                 ClientHandshake (client_handshake.h) decides, this class does its I/O
//   kAuthorizing  waiting for the control plane
//   kOpening      OpenSession sent to the agent; waiting for its tunnel and TunnelReady
//   kStreaming    bytes both ways, with back-pressure
//   kClosed
// Nothing the client sends reaches an agent before the control plane authorized the token.
//
// Streaming (client_session_stream.cc) splices the client socket and the agent tunnel on this
// executor: a chunk read from the client becomes one tunnel data frame, written from the read
// buffer itself; a data frame from the agent is written to the client from the tunnel's frame
// buffer. Each direction has one write in flight and reads again only when it completed, so a
// slow reader slows its writer down instead of filling memory.
#pragma once

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "common/grpcutil/grpc_util.h"
#include "common/net/maybe_tls_stream.h"
#include "common/pgwire/message_boundary.h"
#include "gateway/admission.h"
#include "gateway/agent_links.h"
#include "gateway/agent_tunnel.h"
#include "gateway/client_handshake.h"
#include "gateway/gateway_credential.h"
#include "gateway/session_registry.h"
#include "warden/v1/agent.pb.h"
#include "warden/v1/control.grpc.pb.h"

namespace warden::gateway {

struct GatewayContext {
  asio::ssl::context& tls;
  grpcutil::ReconnectingStub<v1::ControlService>& control;
  AgentLinks& agents;
  SessionRegistry& sessions;
  GatewayCredential& credential;  // the gateway's own token for the control plane
  int tunnel_port = 0;            // where agents dial session tunnels (set once listening)
  // Connections that have not authenticated yet, per listener (admission.h).
  Admission* client_admission = nullptr;
  Admission* tunnel_admission = nullptr;
  // How long a connection may take from accept to authenticated (TLS, startup, password; for a
  // tunnel, TLS and its open frame).
  std::chrono::seconds auth_timeout{10};
  // Accept a token sent without TLS (--allow-tokens-without-tls): for a listener only local
  // trusted processes can reach.
  bool allow_tokens_without_tls = false;
};

class ClientSession : public std::enable_shared_from_this<ClientSession> {
 public:
  ClientSession(asio::ip::tcp::socket socket, GatewayContext& ctx);
  ~ClientSession();
  // `admission` is held until the client has authenticated.
  void Start(Admission::Ticket admission = {});

  // The agent's tunnel for this session proved itself (any thread).
  void OnTunnelAttached(std::unique_ptr<AgentTunnel> tunnel);
  // A CancelRequest on another connection named this session's key (any thread).
  void RequestCancel();

 private:
  enum class State { kHandshake, kAuthorizing, kOpening, kStreaming, kClosed };
  struct Write {
    std::string bytes;           // owned bytes (handshake replies, errors), or
    std::string_view frame;      // a data frame's payload in the tunnel's buffer
    bool resume_tunnel = false;  // read the tunnel again once written (back-pressure)
    std::function<void()> done;
  };

  void ReadPreAuth();
  void OnPreAuthBytes();
  void StartTls();
  void Authorize(std::string token);
  void OnAuthorized(const grpc::Status& status, const v1::AuthorizeResponse& resp);
  // --- client_session_stream.cc
  void ReadTunnel();
  bool OnTunnelFrame(const tunnel::Frame& frame);
  void StartStreaming(const v1::TunnelReady& ready);
  void ReadClient();
  void ForwardClientChunk(size_t n);
  void PumpTunnelWrites();
  void TunnelBroke(const std::string& why);
  void Send(std::string bytes, std::function<void()> done = nullptr);
  void PumpWrites();
  // Sends a FATAL ErrorResponse, then closes.
  void Fail(const std::string& sqlstate, const std::string& message);
  void Close();
  void ArmTimer(std::chrono::seconds after, const char* what);

  GatewayContext& ctx_;
  asio::any_io_executor executor_;
  net::MaybeTlsStream stream_;
  asio::steady_timer timer_;
  std::string peer_;             // address:port
  std::string peer_address_;     // address
  Admission::Ticket admission_;  // released once authenticated
  State state_ = State::kHandshake;
  bool stream_closed_ = false;
  ClientHandshake handshake_;
  // Client reads land after room for a tunnel frame header, so a chunk goes out as one frame
  // without a copy.
  std::array<char, tunnel::kHeaderSize + 65536> readbuf_;
  std::deque<Write> writes_;
  bool writing_ = false;
  size_t client_chunk_ = 0;  // bytes in readbuf_ waiting for the tunnel (0: none)
  int cancels_ = 0;          // cancel frames waiting for the tunnel
  bool tunnel_writing_ = false;
  std::string session_id_;
  std::string connection_;
  std::unique_ptr<AgentTunnel> tunnel_;
  bool tunnel_closed_ = false;
  std::pair<int32_t, int32_t> cancel_key_{0, 0};  // (process id, secret) in BackendKeyData
  pgwire::MessageBoundaryTracker to_client_;      // what the agent relayed to the client
  std::shared_ptr<LiveStats> stats_ = std::make_shared<LiveStats>();
};

}  // namespace warden::gateway
