#include "controlplane/agent_proof.h"

#include "absl/strings/str_cat.h"
#include "common/crypto/ed25519.h"
#include "common/crypto/random.h"
#include "common/crypto/sealed_box.h"
#include "common/crypto/signing_inputs.h"
#include "common/log/log.h"
#include "common/util/status_macros.h"

namespace warden::controlplane {

namespace {

constexpr size_t kNonceLen = 32;

absl::Status CheckRegister(const v1::Register& reg, const store::AgentIdentity& agent) {
  if (reg.name() != agent.name) {
    return absl::PermissionDeniedError(absl::StrCat("this agent token belongs to agent \"",
                                                    agent.name, "\", not \"", reg.name(), "\""));
  }
  if (reg.identity_key().size() != crypto::kEd25519KeyLen) {
    return absl::PermissionDeniedError(
        "the agent sent no Ed25519 identity key: upgrade warden-agent and start it with "
        "--identity-key-file");
  }
  if (reg.public_key().size() != crypto::kX25519KeyLen) {
    return absl::InvalidArgumentError("Register carries no X25519 sealing key");
  }
  if (reg.nonce().size() != kNonceLen) {
    return absl::InvalidArgumentError("Register carries no 32-byte nonce");
  }
  if (!agent.identity_key.empty() && reg.identity_key() != agent.identity_key) {
    return absl::PermissionDeniedError(absl::StrCat(
        "agent \"", agent.name, "\" presented identity key ",
        crypto::KeyFingerprint(reg.identity_key()), " but ",
        crypto::KeyFingerprint(agent.identity_key),
        " is enrolled (a rebuilt agent host: wardenctl agents reset-key ", agent.name, ")"));
  }
  if (agent.identity_key.empty() && !agent.trust_first_key) {
    return absl::PermissionDeniedError(
        absl::StrCat("agent \"", agent.name,
                     "\" has no enrolled identity key: enrol this one with wardenctl "
                     "agents reset-key ",
                     agent.name, " --identity-key ", crypto::Ed25519KeyText(reg.identity_key()),
                     " (after checking it is the agent's: "
                     "warden-agent --print-identity-key)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ProvenAgent> ProveAgent(AgentStream& stream, const store::AgentIdentity& agent,
                                       store::AgentStore& agents,
                                       const std::string& controlplane_key) {
  v1::AgentMessage first;
  if (!stream.Read(&first)) return absl::CancelledError("stream closed before Register");
  if (!first.has_register_()) {
    return absl::InvalidArgumentError("the first message on a control stream must be Register");
  }
  ProvenAgent out;
  out.reg = std::move(*first.mutable_register_());
  RETURN_IF_ERROR(CheckRegister(out.reg, agent));

  out.nonce = crypto::RandomBytes(kNonceLen);
  v1::AgentDirective challenge;
  challenge.mutable_challenge()->set_nonce(out.nonce);
  challenge.mutable_challenge()->set_controlplane_key(controlplane_key);
  if (!stream.Write(challenge)) return absl::CancelledError("stream closed before Challenge");

  v1::AgentMessage answer;
  if (!stream.Read(&answer)) return absl::CancelledError("stream closed before RegisterProof");
  if (!answer.has_proof()) {
    return absl::InvalidArgumentError("the answer to Challenge must be RegisterProof");
  }
  const std::string signed_input = crypto::RegisterProofInput(
      {out.nonce, out.reg.nonce()}, out.reg.name(), out.reg.public_key(), out.reg.identity_key());
  if (!crypto::Ed25519Verify(out.reg.identity_key(), signed_input, answer.proof().signature())) {
    return absl::UnauthenticatedError(
        "the agent's RegisterProof does not verify with its identity key");
  }
  if (agent.identity_key.empty()) {
    if (auto st = agents.EnrolIdentityKey(agent.id, out.reg.identity_key()); !st.ok()) {
      return absl::PermissionDeniedError(
          absl::StrCat("agent \"", agent.name, "\": ", st.message()));
    }
    out.enrolled_now = true;
    spdlog::warn(
        "agent {}: enrolled identity key {} on its first connection, as its creator allowed "
        "(--trust-first-key)",
        agent.name, crypto::KeyFingerprint(out.reg.identity_key()));
  }
  return out;
}

absl::StatusOr<v1::AgentDirective> DirectiveSigner::Sign(const v1::AgentDirective& d) {
  v1::AgentDirective out;
  v1::SignedDirective& s = *out.mutable_signed_();
  s.set_directive(d.SerializeAsString());
  s.set_sequence(++sequence_);
  const v1::Register& reg = proven_.reg;
  ASSIGN_OR_RETURN(*s.mutable_signature(),
                   crypto::Ed25519Sign(signing_key_, crypto::DirectiveSigningInput(
                                                         reg.name(), {proven_.nonce, reg.nonce()},
                                                         reg.identity_key(), reg.public_key(),
                                                         s.sequence(), s.directive())));
  return out;
}

}  // namespace warden::controlplane
