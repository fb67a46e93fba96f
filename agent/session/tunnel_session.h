// One client session on the agent: a Tunnel stream to the gateway (gRPC callback API, no thread
// per stream) and a connection to the database, joined by a pump with back-pressure.
//
// Phases (one enum; each handler checks it):
//   kConnecting -> kNegotiatingTls -> kAuthenticating -> kPumping -> kClosing -> kDone
// Connecting and authenticating are in tunnel_session_connect.cc, the pump and the end of the
// session in tunnel_session.cc.
//
// Threading: every piece of state is touched only on the session's Asio strand. gRPC reactor
// callbacks (OnReadDone, OnWriteDone, OnDone) only post to the strand. A hold on the reactor
// keeps OnDone from running until the strand has decided to start no more operations.
//
// Back-pressure: at most one tunnel write in flight; the database socket is read again only
// after the frame holding the previous read was written (OnWriteDone). Likewise, the next
// tunnel frame is read only after the previous one was written to the database.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "agent/policy_holder.h"
#include "agent/session/credential.h"
#include "agent/session/tls_mode.h"
#include "agent/session/traffic_seam.h"
#include "agent/session/upstream_handshake.h"
#include "agent/session/upstream_stream.h"
#include "common/sql/classifier_cache.h"
#include "warden/v1/agent.grpc.pb.h"

namespace warden::agent {

// Bytes read from the database per tunnel frame, at most (coalescing).
inline constexpr size_t kMaxFrameBytes = 64 * 1024;

// What a session needs from its runner; everything here outlives every session.
struct TunnelEnv {
  asio::io_context* io = nullptr;
  v1::AgentService::Stub* stub = nullptr;
  std::string agent_token;
  std::string sealing_private_key;
  UpstreamTlsContexts* tls = nullptr;
  const PolicyHolder* policy = nullptr;        // the agent's current policy (never null)
  sql::ClassifierCache* classifier = nullptr;  // shared by every session
  std::chrono::milliseconds startup_timeout{15000};
  // How long to wait for the gateway to end the stream after our TunnelClose.
  std::chrono::milliseconds close_linger{10000};
  // Called on the strand once the session is over (after the reactor's OnDone).
  std::function<void(const std::string& session_id)> on_done;
};

class TunnelSession : public grpc::ClientBidiReactor<v1::TunnelFrame, v1::TunnelFrame>,
                      public std::enable_shared_from_this<TunnelSession> {
 public:
  // `connection` is nullopt when this agent does not serve the requested connection.
  static std::shared_ptr<TunnelSession> Create(std::shared_ptr<const TunnelEnv> env,
                                               v1::OpenSession open,
                                               std::optional<v1::ServedConnection> connection);
  ~TunnelSession() override;

  // Opens the tunnel and starts connecting to the database. Call once.
  void Start();
  // Ends the session from the agent's side (shutdown): cancels the stream, closes the database.
  void Abort();

  const std::string& session_id() const { return open_.session_id(); }
  const std::string& connection_name() const { return open_.connection(); }

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  enum class Phase { kConnecting, kNegotiatingTls, kAuthenticating, kPumping, kClosing, kDone };

  TunnelSession(std::shared_ptr<const TunnelEnv> env, v1::OpenSession open,
                std::optional<v1::ServedConnection> connection);

  // --- tunnel_session_connect.cc: connect, TLS, authenticate.
  void BeginStartup();
  absl::Status PrepareStartup();
  void OnResolved(asio::error_code ec, asio::ip::tcp::resolver::results_type results);
  void OnConnected(asio::error_code ec, const asio::ip::tcp::endpoint& endpoint);
  void OnSslAnswer(asio::error_code ec);
  void OnTlsHandshake(asio::error_code ec);
  void StartAuthentication();
  void WriteHandshakeBytes();
  void ReadHandshakeBytes();
  void OnHandshakeBytes(asio::error_code ec, size_t n);
  void OnStartupTimeout(asio::error_code ec);
  void FailStartup(std::string sqlstate, std::string message);
  void FailConnect(const char* what, asio::error_code ec);
  void EnterPump();

  // --- tunnel_session.cc: frames, pump, end.
  void SendFrame(std::unique_ptr<v1::TunnelFrame> frame, bool last = false);
  void WriteNextFrame();
  void HandleWriteDone(bool ok);
  void HandleInbound(bool ok);
  void ReadNextFrame();
  void WriteUpstream();
  void OnUpstreamWritten(asio::error_code ec);
  void ReadUpstream();
  void OnUpstreamData(asio::error_code ec, size_t n);
  void SendCancel();
  void CloseTunnel(const std::string& sqlstate, const std::string& message);
  void GatewayGone();
  void ReleaseHold();
  void HandleDone(const grpc::Status& status);
  bool Stopping() const { return phase_ == Phase::kClosing || phase_ == Phase::kDone; }

  std::shared_ptr<const TunnelEnv> env_;
  v1::OpenSession open_;
  std::optional<v1::ServedConnection> connection_;
  Strand strand_;
  grpc::ClientContext ctx_;
  std::shared_ptr<TunnelSession> self_;  // keeps the session alive until OnDone
  Phase phase_ = Phase::kConnecting;

  // Database side.
  UpstreamStream upstream_;
  asio::ip::tcp::resolver resolver_;
  asio::steady_timer timer_;  // start-up deadline, then the close linger
  TlsMode tls_mode_ = TlsMode::kPrefer;
  asio::ip::tcp::endpoint endpoint_;  // for cancel requests
  std::unique_ptr<UpstreamHandshake> handshake_;
  std::optional<pgwire::BackendKeyData> backend_key_;
  std::string handshake_out_;  // may hold password material: wiped after each write
  char ssl_answer_ = 0;
  std::unique_ptr<char[]> read_buf_;  // kMaxFrameBytes
  bool upstream_reading_ = false;
  bool upstream_writing_ = false;
  TrafficSeam seam_;

  // Tunnel side.
  v1::TunnelFrame in_frame_;
  bool reading_ = false;          // a StartRead is outstanding
  bool inbound_waiting_ = false;  // a data frame arrived before the pump started
  struct PendingWrite {
    std::unique_ptr<v1::TunnelFrame> frame;
    bool last = false;  // StartWriteLast: nothing follows it
  };
  std::deque<PendingWrite> write_queue_;
  std::unique_ptr<v1::TunnelFrame> writing_;     // in flight
  std::unique_ptr<v1::TunnelFrame> data_frame_;  // idle data frame (null while queued/in flight)
  v1::TunnelFrame* data_frame_raw_ = nullptr;
  bool last_write_started_ = false;
  bool hold_released_ = false;
  bool gateway_gone_ = false;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace warden::agent
