// The control plane's own keys, each generated once, on first need, and sealed at rest with the
// master key exactly as credentials are (connection_store.h); none ever appears in the store, a
// log or an admin API in plain text.
//
// - the masking key: 32 random bytes that key the HMAC-SHA-256 of every `hash` masking rule
//   (common/masking), so a value hashes the same in every session, on every agent and after
//   restarts, and joins on hashed values keep working;
// - the signing key: the Ed25519 seed that signs what the control plane sends agents through
//   gateways (policy, masking key, credentials, session ends); agents pin its public half.
#pragma once

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "common/crypto/keyring.h"
#include "controlplane/store/database.h"

namespace warden::store {

inline constexpr size_t kMaskingKeyLen = 32;

class ServerKeyStore {
 public:
  ServerKeyStore(Database& db, const crypto::Keyring& keyring) : db_(db), keyring_(keyring) {}

  // Each created and stored on the first call against a store that has none. DataLoss when the
  // stored ciphertext fails authentication (tampered, or another master key).
  [[nodiscard]] absl::StatusOr<std::string> MaskingKey();
  [[nodiscard]] absl::StatusOr<std::string> SigningKey();

 private:
  [[nodiscard]] absl::StatusOr<std::string> LoadOrCreate(const std::string& name, size_t len,
                                                         const std::function<std::string()>& make);
  Database& db_;
  const crypto::Keyring& keyring_;
};

}  // namespace warden::store
