// One PostgreSQL client on the gateway (DESIGN.md §1 "Session flow"), as an explicit state
// machine on an Asio strand:
//   kStartup      SSLRequest -> 'S' + TLS, GSSENCRequest -> 'N', CancelRequest -> routed,
//                 StartupMessage -> AuthenticationCleartextPassword
//   kPassword     PasswordMessage carries the Warden token -> Authorize at the control plane
//   kAuthorizing  waiting for the control plane
//   kOpening      OpenSession sent to the agent; waiting for its tunnel and TunnelReady
//   kStreaming    bytes both ways, with back-pressure
//   kClosed
// Nothing the client sends reaches an agent before the control plane authorized the token.
#pragma once

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "common/grpcutil/grpc_util.h"
#include "common/net/maybe_tls_stream.h"
#include "gateway/agent_links.h"
#include "gateway/session_registry.h"
#include "gateway/tunnel_reactor.h"
#include "warden/v1/control.grpc.pb.h"

namespace warden::gateway {

struct GatewayContext {
  asio::ssl::context& tls;
  grpcutil::ReconnectingStub<v1::ControlService>& control;
  AgentLinks& agents;
  SessionRegistry& sessions;
  std::string gateway_id;
  std::string gateway_secret;
};

class ClientSession : public std::enable_shared_from_this<ClientSession> {
 public:
  ClientSession(asio::ip::tcp::socket socket, GatewayContext& ctx);
  ~ClientSession();
  void Start();

  // From the tunnel (any thread); each hops onto the session's strand.
  void OnTunnelAttached(std::shared_ptr<TunnelHandle> tunnel);
  void OnTunnelReady(std::string startup_messages);
  void WriteToClient(std::string bytes, std::function<void()> done);
  void OnTunnelClose(std::string sqlstate, std::string message);
  void OnTunnelDone();
  // A CancelRequest on another connection named this session's key.
  void RequestCancel();

 private:
  enum class State { kStartup, kPassword, kAuthorizing, kOpening, kStreaming, kClosed };
  struct Write {
    std::string bytes;
    std::function<void()> done;
  };

  void ReadPreAuth();
  void OnPreAuthBytes();
  bool HandleStartupPacket();
  bool HandlePassword();
  void Authorize(std::string token);
  void OnAuthorized(const grpc::Status& status, const v1::AuthorizeResponse& resp);
  void StartStreaming(const std::string& startup_messages);
  void ReadClient();
  void Send(std::string bytes, std::function<void()> done = nullptr);
  void PumpWrites();
  // Sends a FATAL ErrorResponse, then closes.
  void Fail(const std::string& sqlstate, const std::string& message);
  void Close();
  void ArmTimer(std::chrono::seconds after, const char* what);

  GatewayContext& ctx_;
  asio::strand<asio::any_io_executor> strand_;
  net::MaybeTlsStream stream_;
  asio::steady_timer timer_;
  std::string peer_;
  bool loopback_ = false;
  State state_ = State::kStartup;
  bool stream_closed_ = false;
  bool gssenc_refused_ = false;
  std::string inbuf_;
  std::array<char, 65536> readbuf_;
  std::deque<Write> writes_;
  bool writing_ = false;
  std::string session_id_;
  std::string connection_;
  std::vector<std::pair<std::string, std::string>> client_params_;
  std::shared_ptr<TunnelHandle> tunnel_;
  int32_t cancel_pid_ = 0;
  std::shared_ptr<LiveStats> stats_ = std::make_shared<LiveStats>();
};

}  // namespace warden::gateway
