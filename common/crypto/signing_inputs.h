// The exact bytes each Ed25519 signature between agents and the control plane covers. Each
// starts with its own label, so a signature made for one purpose never verifies for another,
// and every field is length-prefixed (4 bytes, big-endian), so no two field lists share bytes.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace warden::crypto {

// The nonces of one control stream: the control plane's (Challenge) and the agent's (Register).
// Each side picks one, so neither a replayed challenge nor a replayed stream is fresh to the
// other side.
struct StreamNonces {
  absl::string_view controlplane;
  absl::string_view agent;
};

// The agent's answer to the control plane's Challenge: binds its name and the X25519 key
// credentials will be sealed to, for this stream only (a captured answer cannot be replayed on
// another stream, and a relaying gateway cannot swap the sealing key).
std::string RegisterProofInput(StreamNonces nonces, absl::string_view agent_name,
                               absl::string_view sealing_key, absl::string_view identity_key);

// One directive the control plane sends one agent on one stream, in order, for the keys that
// stream proved: another agent, another stream, an earlier position or a stream someone else
// proved (a gateway that enrolled its own keys) does not verify at the agent.
std::string DirectiveSigningInput(absl::string_view agent_name, StreamNonces nonces,
                                  absl::string_view identity_key, absl::string_view sealing_key,
                                  uint64_t sequence, absl::string_view directive);

// One approval message an agent sends the control plane on one stream, in order (the agent's
// side of DirectiveSigningInput): a relaying gateway can neither raise, withdraw nor close an
// approval request in the agent's name, nor replay one of its messages.
std::string AgentApprovalSigningInput(absl::string_view agent_name, StreamNonces nonces,
                                      uint64_t sequence, absl::string_view message);

// A session's sealed credential: sealing alone does not say who sealed it (anyone can seal to
// an agent's public key), so the control plane signs it for this agent, session and connection.
std::string CredentialSigningInput(absl::string_view agent_name, absl::string_view session_id,
                                   absl::string_view connection, absl::string_view sealed);

}  // namespace warden::crypto
