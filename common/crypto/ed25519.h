// Ed25519 signatures (RFC 8032) for the control plane's trust in agents and the agents' trust
// in the control plane: an agent proves its identity key to the control plane, and the control
// plane signs what it sends an agent, both through gateways that must not be able to forge
// either.
//
// Keys travel as text "ed25519:<base64 of the raw 32-byte public key>"; a fingerprint for
// people to compare is "SHA256:<unpadded base64 of SHA-256(raw key)>", as OpenSSH prints.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace warden::crypto {

inline constexpr size_t kEd25519KeyLen = 32;
inline constexpr size_t kEd25519SignatureLen = 64;

struct Ed25519KeyPair {
  std::string private_key;  // the raw 32-byte seed; keep in memory or sealed at rest
  std::string public_key;   // raw 32 bytes
  Ed25519KeyPair() = default;
  Ed25519KeyPair(const Ed25519KeyPair&) = default;
  Ed25519KeyPair(Ed25519KeyPair&&) = default;
  Ed25519KeyPair& operator=(const Ed25519KeyPair&) = default;
  Ed25519KeyPair& operator=(Ed25519KeyPair&&) = default;
  ~Ed25519KeyPair();  // overwrites the private key (every copy wipes its own)
  static Ed25519KeyPair Generate();
  [[nodiscard]] static absl::StatusOr<Ed25519KeyPair> FromPrivate(absl::string_view seed);
};

[[nodiscard]] absl::StatusOr<std::string> Ed25519Sign(absl::string_view private_key,
                                                      absl::string_view message);
// False for a bad key, a bad signature or a signature of another message.
[[nodiscard]] bool Ed25519Verify(absl::string_view public_key, absl::string_view message,
                                 absl::string_view signature);

std::string Ed25519KeyText(absl::string_view public_key);
[[nodiscard]] absl::StatusOr<std::string> ParseEd25519KeyText(absl::string_view text);
std::string KeyFingerprint(absl::string_view public_key);

// The private key as PKCS #8 PEM ("-----BEGIN PRIVATE KEY-----", what `openssl genpkey
// -algorithm ed25519` writes), and back.
[[nodiscard]] absl::StatusOr<std::string> Ed25519PrivateKeyPem(absl::string_view private_key);
[[nodiscard]] absl::StatusOr<Ed25519KeyPair> ParseEd25519PrivateKeyPem(absl::string_view pem);

}  // namespace warden::crypto
