// The agent's side of trust on its control stream, as pure checks (no I/O): answering the
// control plane's Challenge with a proof of the identity key, and opening each SignedDirective
// only when the pinned control-plane key signed it for this agent, this stream and the next
// position. A gateway relaying the stream can drop directives, but it cannot forge, replay or
// reorder one, and it cannot swap the sealing key the agent registered.
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

  // Starts a stream that sent `reg`: the RegisterProof answering `challenge`. PermissionDenied
  // when the challenge comes with another control-plane key than the pinned one.
  [[nodiscard]] absl::StatusOr<v1::AgentMessage> Answer(const v1::Challenge& challenge,
                                                        const v1::Register& reg);
  // The directive inside `signed_directive`, when it verifies for this stream and comes next.
  [[nodiscard]] absl::StatusOr<v1::AgentDirective> Open(
      const v1::SignedDirective& signed_directive);

 private:
  std::string agent_;
  std::string controlplane_key_;
  crypto::Ed25519KeyPair identity_;
  std::string nonce_;  // of the current stream; empty before a Challenge
  uint64_t sequence_ = 0;
};

}  // namespace warden::agent
