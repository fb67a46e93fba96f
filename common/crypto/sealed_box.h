// Public-key sealing of credentials for one agent: X25519 with an ephemeral sender key, HKDF-
// SHA-256 to derive an AES-256-GCM key, so that the control plane can hand a credential to an
// agent through a gateway that cannot read it. Only the agent's private key, which never leaves
// its memory, opens it.
//
// Layout: ephemeral public key (32) || nonce (12) || ciphertext || tag (16).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace warden::crypto {

inline constexpr size_t kX25519KeyLen = 32;

struct X25519KeyPair {
  std::string private_key;  // raw 32 bytes; keep in memory only
  std::string public_key;   // raw 32 bytes
  static X25519KeyPair Generate();
};

// aad binds the sealed value to its context (e.g. session id and connection), so a sealed
// credential cannot be replayed into another session.
[[nodiscard]] absl::StatusOr<std::string> SealTo(absl::string_view recipient_public_key,
                                                 absl::string_view plaintext,
                                                 absl::string_view aad);
[[nodiscard]] absl::StatusOr<std::string> OpenSealed(absl::string_view recipient_private_key,
                                                     absl::string_view sealed,
                                                     absl::string_view aad);

// The aad of the masking key sealed to one agent (PolicySnapshot.sealed_masking_key).
inline std::string MaskingKeyAad(absl::string_view agent_name) {
  return std::string("warden.masking_key.v1\n").append(agent_name.data(), agent_name.size());
}

}  // namespace warden::crypto
