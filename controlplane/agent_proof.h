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
  v1::Register reg;   // as the agent sent it; its public_key is proven to be the agent's
  std::string nonce;  // this stream's Challenge nonce
  bool enrolled_now = false;
};

using AgentStream = grpc::ServerReaderWriter<v1::AgentDirective, v1::AgentMessage>;

// Reads Register, sends Challenge, reads and checks RegisterProof. Errors: PermissionDenied for
// a name the token does not belong to or a key other than the enrolled one, Unauthenticated for
// a proof that does not verify, InvalidArgument for messages out of order.
[[nodiscard]] absl::StatusOr<ProvenAgent> ProveAgent(AgentStream& stream,
                                                     const store::AgentIdentity& agent,
                                                     store::AgentStore& agents,
                                                     const std::string& controlplane_key);

// Signs directives for one agent on one stream, numbering them 1, 2, 3, ...
class DirectiveSigner {
 public:
  DirectiveSigner(const std::string& signing_key, std::string agent_name, std::string nonce)
      : signing_key_(signing_key), agent_(std::move(agent_name)), nonce_(std::move(nonce)) {}
  [[nodiscard]] absl::StatusOr<v1::AgentDirective> Sign(const v1::AgentDirective& d);

 private:
  const std::string& signing_key_;
  std::string agent_;
  std::string nonce_;
  uint64_t sequence_ = 0;
};

}  // namespace warden::controlplane
