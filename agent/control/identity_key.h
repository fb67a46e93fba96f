// The agent's Ed25519 identity key: what it proves to the control plane on every control stream
// (the gateway relaying the stream never sees it). Kept in a PEM file the agent creates on its
// first start (mode 0600), like an SSH host key; a file others can read is refused.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "common/crypto/ed25519.h"

namespace warden::agent {

// Reads the key from `path`, or creates it there when the file does not exist.
[[nodiscard]] absl::StatusOr<crypto::Ed25519KeyPair> LoadOrCreateIdentityKey(
    const std::string& path);

}  // namespace warden::agent
