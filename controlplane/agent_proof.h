// The start of an agent's control stream on the control plane: the agent's Register, a fresh
// Challenge, and the agent's RegisterProof, checked against the identity key enrolled for the
// agent (or enrolling the proven key when none is yet). What the stream carries afterwards is
// signed for this agent and this stream's nonce (DirectiveSigner).
#pragma once

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/sync_stream.h>

#include <string>

#include "absl/status/statusor.h"
#include "controlplane/store/agent_store.h"
#include "warden/v1/agent.grpc.pb.h"

namespace warden::controlplane {

struct ProvenAgent {
  v1::Register reg;   // as the agent sent it; its keys are proven to be the agent's
  std::string nonce;  // this stream's Challenge nonce (reg.nonce() is the agent's)
  bool enrolled_now = false;
};

using AgentStream = grpc::ServerReaderWriter<v1::AgentDirective, v1::AgentMessage>;

// Reads Register, sends Challenge, reads and checks RegisterProof; enrols the proven key when the
// agent has none and its creator allowed that (--trust-first-key). Errors: PermissionDenied for
// a name the token does not belong to, a key other than the enrolled one or no enrolled key,
// Unauthenticated for a proof that does not verify, InvalidArgument for messages out of order.
// The caller bounds how long this may take (a stalled peer) and checks, after it, that the agent
// still is what it proved (a key reset or a token rotation meanwhile).
[[nodiscard]] absl::StatusOr<ProvenAgent> ProveAgent(AgentStream& stream,
                                                     const store::AgentIdentity& agent,
                                                     store::AgentStore& agents,
                                                     const std::string& controlplane_key);

// Signs directives for one agent on one proven stream, numbering them 1, 2, 3, ...
class DirectiveSigner {
 public:
  DirectiveSigner(const std::string& signing_key, const ProvenAgent& proven)
      : signing_key_(signing_key), proven_(proven) {}
  [[nodiscard]] absl::StatusOr<v1::AgentDirective> Sign(const v1::AgentDirective& d);

 private:
  const std::string& signing_key_;
  const ProvenAgent& proven_;
  uint64_t sequence_ = 0;
};

}  // namespace warden::controlplane
