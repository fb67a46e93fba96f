#include "common/crypto/signing_inputs.h"

#include <initializer_list>

namespace warden::crypto {

namespace {

void AppendU32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}

std::string Framed(absl::string_view label, std::initializer_list<absl::string_view> fields) {
  std::string out(label);
  for (absl::string_view f : fields) {
    AppendU32(out, static_cast<uint32_t>(f.size()));
    out.append(f.data(), f.size());
  }
  return out;
}

std::string U64(uint64_t v) {
  std::string out;
  AppendU32(out, static_cast<uint32_t>(v >> 32));
  AppendU32(out, static_cast<uint32_t>(v));
  return out;
}

}  // namespace

std::string RegisterProofInput(StreamNonces nonces, absl::string_view agent_name,
                               absl::string_view sealing_key, absl::string_view identity_key) {
  return Framed("warden.register.v1",
                {nonces.controlplane, nonces.agent, agent_name, sealing_key, identity_key});
}

std::string DirectiveSigningInput(absl::string_view agent_name, StreamNonces nonces,
                                  absl::string_view identity_key, absl::string_view sealing_key,
                                  uint64_t sequence, absl::string_view directive) {
  return Framed("warden.directive.v1", {agent_name, nonces.controlplane, nonces.agent, identity_key,
                                        sealing_key, U64(sequence), directive});
}

std::string AgentApprovalSigningInput(absl::string_view agent_name, StreamNonces nonces,
                                      uint64_t sequence, absl::string_view message) {
  return Framed("warden.agent-approval.v1",
                {agent_name, nonces.controlplane, nonces.agent, U64(sequence), message});
}

std::string CredentialSigningInput(absl::string_view agent_name, absl::string_view session_id,
                                   absl::string_view connection, absl::string_view sealed) {
  return Framed("warden.credential.v1", {agent_name, session_id, connection, sealed});
}

}  // namespace warden::crypto
