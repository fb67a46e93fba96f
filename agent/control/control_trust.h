// The agent's side of trust on its control stream, as pure checks (no I/O): answering the
// control plane's Challenge with a proof of the identity key, and opening each SignedDirective
// only when the pinned control-plane key signed it for this agent, this stream (both sides'
// nonces), the keys this agent proved and the next position. A gateway relaying the stream can
// drop directives, but it cannot forge, replay (from this stream or an old one) or reorder one,
// and it cannot swap the sealing key or enrol keys of its own behind the agent's back.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "common/crypto/ed25519.h"
#include "warden/v1/agent.pb.h"

namespace warden::agent {

class ControlTrust {
 public:
  ControlTrust(std::string agent_name, std::string controlplane_key,
               crypto::Ed25519KeyPair identity)
      : agent_(std::move(agent_name)),
        controlplane_key_(std::move(controlplane_key)),
        identity_(std::move(identity)) {}

  const std::string& identity_public_key() const { return identity_.public_key; }

  // Starts a new stream: the nonce its Register carries (fresh, random).
  std::string BeginStream();
  // The RegisterProof answering the stream's `challenge`, for the Register it sent.
  // PermissionDenied when the challenge comes with another control-plane key than the pinned
  // one; FailedPrecondition for a second challenge on one stream (a replayed one).
  [[nodiscard]] absl::StatusOr<v1::AgentMessage> Answer(const v1::Challenge& challenge,
                                                        const v1::Register& reg);
  // The directive inside `signed_directive`, when it verifies for this stream and comes next.
  [[nodiscard]] absl::StatusOr<v1::AgentDirective> Open(
      const v1::SignedDirective& signed_directive);
  // `message` signed by the identity key for this stream at the next approval position. Called
  // by whoever sends approval messages (one at a time, in sending order), only between the
  // stream's Challenge and its end: BeginStream and Answer are not running then.
  [[nodiscard]] absl::StatusOr<v1::SignedApprovalMessage> SignApproval(
      const v1::ApprovalMessage& message);

 private:
  std::string agent_;
  std::string controlplane_key_;
  crypto::Ed25519KeyPair identity_;
  std::string agent_nonce_;  // of the current stream (its Register)
  std::string nonce_;        // the control plane's, once the stream's Challenge came
  std::string sealing_key_;  // as this stream's Register carried it
  uint64_t sequence_ = 0;
  uint64_t approval_sequence_ = 0;  // of the last approval message signed on this stream
};

}  // namespace warden::agent
