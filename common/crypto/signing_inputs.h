// The exact bytes each Ed25519 signature between agents and the control plane covers. Each
// starts with its own label, so a signature made for one purpose never verifies for another,
// and every field is length-prefixed (4 bytes, big-endian), so no two field lists share bytes.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace warden::crypto {

// The agent's answer to the control plane's Challenge: binds its name and the X25519 key
// credentials will be sealed to, for this stream's nonce only (a captured answer cannot be
// replayed on another stream, and a relaying gateway cannot swap the sealing key).
std::string RegisterProofInput(absl::string_view nonce, absl::string_view agent_name,
                               absl::string_view sealing_key, absl::string_view identity_key);

// One directive the control plane sends one agent on one stream, in order: another agent, another
// stream or an earlier position does not verify (no replay, no reordering, no rollback).
std::string DirectiveSigningInput(absl::string_view agent_name, absl::string_view stream_nonce,
                                  uint64_t sequence, absl::string_view directive);

// A session's sealed credential: sealing alone does not say who sealed it (anyone can seal to
// an agent's public key), so the control plane signs it for this agent, session and connection.
std::string CredentialSigningInput(absl::string_view agent_name, absl::string_view session_id,
                                   absl::string_view connection, absl::string_view sealed);

}  // namespace warden::crypto
