// One client session on the agent: a data-plane tunnel to the gateway (a TLS connection the
// agent dials, carrying frames: common/tunnel/tunnel_frame.h) and a connection to the database,
// spliced by a pump with back-pressure.
//
// Phases of the database side (one enum; each handler checks it):
//   kConnecting -> kNegotiatingTls -> kAuthenticating -> kLoadingCatalog -> kPumping -> kClosing
//   -> kDone
// (kLoadingCatalog: the guard's function catalog is read before the client may speak.)
// The tunnel connects in parallel; frames queue until it is up, the open frame first.
// Connecting and authenticating are in tunnel_session_connect.cc, the tunnel, the pump and the
// end of the session in tunnel_session.cc.
//
// Threading: every piece of state is touched only on the session's executor, which both sockets
// use (net::SessionExecutor: the io thread itself, or a strand when several threads run the io
// context): no hand-off between threads on the hot path.
//
// Back-pressure: at most one tunnel write in flight; the database socket is read again only
// after the frame holding the previous read was written. Likewise, the next tunnel frame is
// decoded only after the previous one was written to the database.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "agent/enforcement/approval_desk.h"
#include "agent/enforcement/policy_holder.h"
#include "agent/postgres/traffic_seam.h"
#include "agent/runtime/credential.h"
#include "agent/runtime/tls_mode.h"
#include "agent/runtime/upstream_handshake.h"
#include "agent/runtime/upstream_stream.h"
#include "common/pgwire/message_boundary.h"
#include "common/sql/classifier_cache.h"
#include "common/tunnel/tunnel_frame.h"
#include "warden/v1/agent.pb.h"

namespace warden::agent {

// Bytes read from the database at once, at most (they go out as one tunnel frame).
inline constexpr size_t kMaxFrameBytes = 64 * 1024;

// What a session needs from its runner; everything here outlives every session.
struct TunnelEnv {
  asio::io_context* io = nullptr;
  int io_threads = 1;        // threads running `io`: with more than one, sessions run on strands
  std::string gateway_host;  // tunnels go to this host, at OpenSession's port
  asio::ssl::context* gateway_tls = nullptr;  // trusts the gateway's CA (--ca-file)
  CredentialKeys credential_keys;
  UpstreamTlsContexts* tls = nullptr;
  const PolicyHolder* policy = nullptr;        // the agent's current policy (never null)
  sql::ClassifierCache* classifier = nullptr;  // shared by every session
  DecisionCounters* decisions = nullptr;       // shared by every session; may be null
  // Where held statements ask for approval; null: statements that need one are refused.
  ApprovalDesk* approvals = nullptr;
  std::chrono::milliseconds startup_timeout{15000};
  size_t max_statement_bytes = StatementGuard::kDefaultMaxStatementBytes;
  // How long to wait for the gateway to close the tunnel after our close frame.
  std::chrono::milliseconds close_linger{10000};
  // Called on the session's executor once the session is over.
  std::function<void(const std::string& session_id)> on_done;
};

class TunnelSession : public std::enable_shared_from_this<TunnelSession> {
 public:
  // `connection` is nullopt when this agent does not serve the requested connection.
  static std::shared_ptr<TunnelSession> Create(std::shared_ptr<const TunnelEnv> env,
                                               v1::OpenSession open,
                                               std::optional<v1::ServedConnection> connection);
  ~TunnelSession();

  // Opens the tunnel and starts connecting to the database. Call once.
  void Start();
  // Ends the session from the agent's side (shutdown): closes the tunnel and the database.
  void Abort();
  // Ends the session as an admin asked (EndSession): the client gets a FATAL with `sqlstate`
  // and `message`, a running statement is cancelled, and the database connection is closed,
  // which ends its backend. Thread-safe; returns at once.
  void End(std::string sqlstate, std::string message);

  const std::string& session_id() const { return open_.session_id(); }
  const std::string& connection_name() const { return open_.connection(); }

 private:
  enum class Phase {
    kConnecting,
    kNegotiatingTls,
    kAuthenticating,
    kLoadingCatalog,
    kPumping,
    kClosing,
    kDone
  };

  TunnelSession(std::shared_ptr<const TunnelEnv> env, v1::OpenSession open,
                std::optional<v1::ServedConnection> connection);

  // --- tunnel_session_connect.cc: connect, TLS, authenticate.
  void BeginStartup();
  absl::Status AddClientSettings(const policy::Subject& subject, HandshakeParams* params);
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
  void LoadCatalog();
  void ReadCatalogAnswer();
  void OnCatalogAnswer(std::string bytes);
  void EnterPump();

  // --- tunnel_session_approval.cc: a statement held until someone decides on it.
  // After client bytes went through the seam (or a hold ended): raises a request for a hold
  // that began. Bytes a refusal releases are appended to upstream_out_ (the caller writes it).
  void AfterClientBytes();
  // Starts the request for the hold in force: its estimate first when one can be made, then
  // SendRaise (at once, or from OnEstimated once the estimate's answer is in).
  void RaiseApproval();
  // A held Execute's estimate waits for the answers to the client's Parse and Bind before it
  // (the seam flushed them): sends it once they are in, unless the server failed one of them
  // (then the held Execute is dropped: the server would skip it). From the database's answers
  // and after a write.
  void ContinueEstimate();
  // Appends the estimate's EXPLAIN to upstream_out_ and times it; false (and why there is no
  // estimate) when the held portal's Bind cannot be read.
  bool BeginEstimate(const std::string& sql, bool extended);
  // Cancels the estimate's EXPLAIN at the database if it plans for too long.
  void ArmEstimateTimer();
  void OnEstimated();
  // `now`: a refusal's bytes may go straight into upstream_out_ (from AfterClientBytes).
  void SendRaise(bool now);
  void RefuseHold(HoldRelease release, bool now);
  void OnApprovalUpdate(uint64_t generation, const v1::ApprovalUpdate& update);
  // Ends the hold as decided, now or (while a write to the database is in flight) when it is
  // done, and writes what it releases. The first decision wins.
  void OnHoldDecided(HoldRelease release);
  // Ends the hold into upstream_out_ (not being written).
  void ApplyRelease(const HoldRelease& release);
  // The client cancelled (or the deadline passed) while the statement waited: withdrawn.
  void WithdrawApproval(const char* why);
  void OnApprovedFacts(const StatementFacts& facts);
  // The session ends: a request still waiting is withdrawn, an approved statement whose result
  // never came is reported as such.
  void EndApproval();
  void ArmApprovalTimer(std::chrono::steady_clock::duration after, std::string why);
  // A message of the agent's own for the client (a NoticeResponse), after what is queued.
  void SendToClient(std::string_view message);

  // --- tunnel_session.cc: the tunnel, the pump, the end.
  void ConnectTunnel();
  void OnTunnelConnected(asio::error_code ec);
  void QueueControl(tunnel::FrameType type, const google::protobuf::MessageLite& payload,
                    bool last = false);
  void QueueData();
  void PumpTunnel();
  void OnTunnelWritten(asio::error_code ec, bool was_data, bool was_last, size_t payload);
  void ReadTunnel();
  void WriteUpstream(std::string_view client_bytes);
  void StartUpstreamWrite();
  void OnUpstreamWritten(asio::error_code ec);
  void ReadUpstream();
  void OnUpstreamData(asio::error_code ec, size_t n);
  void ForwardBackendBytes();
  void SendCancel();
  void CloseTunnel(const std::string& sqlstate, const std::string& message);
  void GatewayGone(const std::string& why);
  void Finish();
  bool Stopping() const { return phase_ == Phase::kClosing || phase_ == Phase::kDone; }

  std::shared_ptr<const TunnelEnv> env_;
  v1::OpenSession open_;
  std::optional<v1::ServedConnection> connection_;
  asio::any_io_executor executor_;
  std::shared_ptr<TunnelSession> self_;  // keeps the session alive until Finish()
  Phase phase_ = Phase::kConnecting;

  // Database side.
  UpstreamStream upstream_;
  asio::ip::tcp::resolver resolver_;
  asio::steady_timer timer_;  // start-up deadline, then the close linger
  // Ends the session when the client's token expires, whatever the control plane can say.
  asio::steady_timer expiry_timer_;
  TlsMode tls_mode_ = TlsMode::kPrefer;
  asio::ip::tcp::endpoint endpoint_;  // for cancel requests
  std::unique_ptr<UpstreamHandshake> handshake_;
  std::optional<pgwire::BackendKeyData> backend_key_;
  std::string handshake_out_;  // may hold password material: wiped after each write
  std::string startup_out_;    // database bytes for the client (after the seam) before the pump
  char ssl_answer_ = 0;
  std::unique_ptr<char[]> read_buf_;  // kMaxFrameBytes
  bool upstream_reading_ = false;
  bool upstream_writing_ = false;
  std::string upstream_out_;  // client bytes after the seam, being written to the database
  TrafficSeam seam_;
  policy::Subject subject_;  // who the session is, as the sealed credential says

  // The statement held for approval, if any (tunnel_session_approval.cc).
  struct ApprovalWait {
    uint64_t generation = 0;  // which hold: a timer or an update for an earlier one is stale
    bool raised = false;      // a request was raised (or refused) for the hold in force
    bool estimating = false;  // its EXPLAIN is at the database
    bool flushing = false;    // waiting for the client's outstanding answers (ContinueEstimate)
    std::string explain;      // the EXPLAIN to send then
    v1::ImpactEstimate estimate;
    std::string handle;      // the desk's name for the request
    std::string request_id;  // once the control plane answered
  };
  ApprovalWait approval_;
  uint64_t holds_ = 0;  // holds raised so far
  // Approved statements released to the database, in order, until their outcome is known (from
  // the ledger's facts).
  struct ApprovedRun {
    std::string handle;
    char type = 0;
    std::string statement;
    std::string rule;
    size_t statements = 1;
    v1::ApprovalOutcome outcome;
  };
  std::deque<ApprovedRun> approved_;
  asio::steady_timer approval_timer_;           // no answer, or no decision, by the deadline
  std::optional<HoldRelease> pending_release_;  // decided while a write was in flight

  // Tunnel side. The same TLS client stream type as the database's, always with TLS and the
  // gateway's certificate verified against the pinned CA.
  UpstreamStream tunnel_;
  asio::ip::tcp::resolver tunnel_resolver_;
  bool tunnel_up_ = false;       // connected, TLS done: frames may be written
  bool tunnel_gone_ = false;     // closed or broken: nothing more is read or written
  bool tunnel_reading_ = false;  // a read from the tunnel is in flight
  tunnel::FrameBuffer tunnel_in_;
  std::string_view held_inbound_;  // client bytes that came before the pump started
  struct Outgoing {
    std::string frame;  // a whole control frame; empty for the data in data_out_
    bool last = false;  // the close frame: nothing follows it
  };
  std::deque<Outgoing> tunnel_queue_;
  bool tunnel_writing_ = false;
  std::string data_out_;  // database bytes after the seam, going out as data frames
  pgwire::WholeMessageCutter to_client_{kMaxFrameBytes};
  bool data_queued_ = false;  // data_out_ is queued or being written
  size_t data_sent_ = 0;      // how much of data_out_ is written
  char data_header_[tunnel::kHeaderSize] = {};
  std::chrono::steady_clock::time_point started_;
};

}  // namespace warden::agent
