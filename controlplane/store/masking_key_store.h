// The deployment-wide masking key: 32 random bytes that key the HMAC-SHA-256 of every `hash`
// masking rule (common/masking), so a value hashes the same in every session, on every agent
// and after restarts, and joins on hashed values keep working. Generated once, on first need,
// and sealed at rest with the master key exactly as credentials are (connection_store.h); it
// never appears in the store, a log or an admin API in plain text.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "common/crypto/keyring.h"
#include "controlplane/store/database.h"

namespace warden::store {

inline constexpr size_t kMaskingKeyLen = 32;

class MaskingKeyStore {
 public:
  MaskingKeyStore(Database& db, const crypto::Keyring& keyring) : db_(db), keyring_(keyring) {}

  // The key, created and stored on the first call against a store that has none. DataLoss
  // when the stored ciphertext fails authentication (tampered, or another master key).
  [[nodiscard]] absl::StatusOr<std::string> LoadOrCreate();

 private:
  Database& db_;
  const crypto::Keyring& keyring_;
};

}  // namespace warden::store
