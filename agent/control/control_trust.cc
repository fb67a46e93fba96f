#include "agent/control/control_trust.h"

#include "absl/strings/str_cat.h"
#include "common/crypto/random.h"
#include "common/crypto/signing_inputs.h"

namespace warden::agent {

std::string ControlTrust::BeginStream() {
  agent_nonce_ = crypto::RandomBytes(32);
  nonce_.clear();
  sealing_key_.clear();
  sequence_ = 0;
  approval_sequence_ = 0;
  return agent_nonce_;
}

absl::StatusOr<v1::AgentMessage> ControlTrust::Answer(const v1::Challenge& challenge,
                                                      const v1::Register& reg) {
  if (!nonce_.empty() || agent_nonce_.empty() || reg.nonce() != agent_nonce_) {
    return absl::FailedPreconditionError(
        "a challenge arrived where none was due (replayed into the stream?)");
  }
  if (challenge.controlplane_key() != controlplane_key_) {
    return absl::PermissionDeniedError(absl::StrCat(
        "the control plane's key ", crypto::KeyFingerprint(challenge.controlplane_key()),
        " is not the pinned --controlplane-key ", crypto::KeyFingerprint(controlplane_key_),
        ": another control plane, or a gateway in the middle"));
  }
  if (challenge.nonce().size() < 16) {
    return absl::InvalidArgumentError("the control plane's challenge is too short");
  }
  nonce_ = challenge.nonce();
  sealing_key_ = reg.public_key();
  sequence_ = 0;
  v1::AgentMessage answer;
  auto signature = crypto::Ed25519Sign(
      identity_.private_key, crypto::RegisterProofInput({nonce_, agent_nonce_}, reg.name(),
                                                        reg.public_key(), reg.identity_key()));
  if (!signature.ok()) return signature.status();
  answer.mutable_proof()->set_signature(*std::move(signature));
  return answer;
}

absl::StatusOr<v1::AgentDirective> ControlTrust::Open(const v1::SignedDirective& s) {
  if (nonce_.empty()) {
    return absl::FailedPreconditionError("a signed directive arrived before the challenge");
  }
  if (!crypto::Ed25519Verify(
          controlplane_key_,
          crypto::DirectiveSigningInput(agent_, {nonce_, agent_nonce_}, identity_.public_key,
                                        sealing_key_, s.sequence(), s.directive()),
          s.signature())) {
    return absl::PermissionDeniedError(
        "a directive is not signed by the pinned control-plane key for this agent and stream");
  }
  if (s.sequence() != sequence_ + 1) {
    return absl::PermissionDeniedError(absl::StrCat("directive ", s.sequence(), " arrived where ",
                                                    sequence_ + 1,
                                                    " was due (replayed or "
                                                    "reordered)"));
  }
  v1::AgentDirective d;
  if (!d.ParseFromString(s.directive())) {
    return absl::InvalidArgumentError("a signed directive does not parse");
  }
  if (!d.has_welcome() && !d.has_policy() && !d.has_end_session() && !d.has_heartbeat() &&
      !d.has_approval()) {
    return absl::InvalidArgumentError("a signed directive carries nothing the agent expects");
  }
  sequence_ = s.sequence();
  return d;
}

absl::StatusOr<v1::SignedApprovalMessage> ControlTrust::SignApproval(
    const v1::ApprovalMessage& message) {
  if (nonce_.empty()) {
    return absl::FailedPreconditionError("no control stream is established to sign for");
  }
  v1::SignedApprovalMessage out;
  out.set_message(message.SerializeAsString());
  out.set_sequence(approval_sequence_ + 1);
  auto signature = crypto::Ed25519Sign(
      identity_.private_key, crypto::AgentApprovalSigningInput(agent_, {nonce_, agent_nonce_},
                                                               out.sequence(), out.message()));
  if (!signature.ok()) return signature.status();
  out.set_signature(*std::move(signature));
  ++approval_sequence_;
  return out;
}

}  // namespace warden::agent
