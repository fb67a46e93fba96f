// The agent's control stream: dial the gateway, register and prove the identity key, apply
// every signed policy snapshot pushed and acknowledge it, send heartbeats and the decision
// counters; on any failure reconnect with backoff. A rejected agent token or identity key, or a
// control plane other than the pinned one, is final: retrying cannot fix it, so the client stops
// and says why.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "agent/control/control_trust.h"
#include "agent/enforcement/approval_desk.h"
#include "agent/enforcement/decision_counters.h"
#include "agent/enforcement/policy_holder.h"
#include "common/grpcutil/grpc_util.h"
#include "warden/v1/agent.grpc.pb.h"

namespace warden::agent {

struct ControlClientOptions {
  std::string gateway = "127.0.0.1:7444";
  std::string ca_file;
  std::string name;
  std::string token;
  // When set, read again before each new stream: a rotated token (wardenctl agents
  // rotate-token) written there takes over without a restart.
  std::string token_file;
  std::string public_key;   // X25519 key credentials are sealed to (the private half stays here)
  std::string private_key;  // its private half: opens the masking key in policy snapshots
  crypto::Ed25519KeyPair identity;  // proven to the control plane on every stream
  std::string controlplane_key;     // pinned: everything that matters must be signed by it
  std::chrono::milliseconds heartbeat_interval{10000};
  // Reported as AgentStats on every new stream, then every stats_interval when they changed.
  // Null: no reports.
  const DecisionCounters* decisions = nullptr;
  std::chrono::milliseconds stats_interval{2000};
  // Called on the control stream's thread for every OpenSession directive; must not block
  // (start the session's work elsewhere and return).
  std::function<void(v1::OpenSession)> on_open_session;
  // Called with every Welcome: the connections this agent serves, as the control plane has them.
  std::function<void(const v1::Welcome&)> on_welcome;
  // Called on the control stream's thread for every EndSession directive; must not block.
  std::function<void(const v1::EndSession&)> on_end_session;
  // Approval requests of held statements go out through here, signed by the identity key, and
  // the control plane's answers and decisions come back to it. Null: no approvals (statements
  // that need one are refused).
  ApprovalDesk* approvals = nullptr;
};

class ControlClient {
 public:
  // The control plane signs a directive at least every 5 s; a stream silent this long is dropped.
  static constexpr std::chrono::seconds kMaxControlSilence{20};

  ControlClient(ControlClientOptions opts, std::shared_ptr<grpc::ChannelCredentials> creds,
                PolicyHolder& policy);
  ~ControlClient();

  void Start();
  void Stop();
  // Blocks until the client stops for good (Stop(), or a fatal rejection); returns why.
  absl::Status Wait();

 private:
  void Run();
  // One connected session; returns how it ended.
  absl::Status RunStream();
  using Writer = std::function<bool(const v1::AgentMessage&)>;
  // Sends heartbeats and changed counters until *stop is set (under mu, with cv notified) or a
  // write fails.
  void Report(const Writer& write, std::mutex& mu, std::condition_variable& cv, const bool& stop);
  void Finish(absl::Status why);
  // Opens the snapshot's masking key; empty (hash rules redact) when it has none or it does
  // not open. Clears the sealed bytes from the snapshot.
  std::string OpenMaskingKey(v1::PolicySnapshot& snap);
  // Acts on one directive from the stream. Not OK ends the stream with that status.
  absl::Status Dispatch(v1::AgentDirective& d, const v1::AgentMessage& reg, const Writer& write);
  // Acts on a directive that arrived signed and verified.
  void ApplyTrusted(v1::AgentDirective& d, const Writer& write);

  ControlClientOptions opts_;
  grpcutil::ReconnectingStub<v1::AgentService> stub_;
  PolicyHolder& policy_;
  // Used by the stream thread, and by the approval desk's sender while a stream is up
  // (SignApproval, serialized by the desk).
  ControlTrust trust_;
  // When the current stream last carried a verified signed directive.
  std::atomic<std::chrono::steady_clock::time_point> last_signed_{};
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool done_ = false;
  absl::Status final_status_;
  grpc::ClientContext* active_ = nullptr;  // guarded by mu_
};

}  // namespace warden::agent
