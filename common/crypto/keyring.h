// Encryption at rest: AES-256-GCM under a master key that lives in a file, never in the store.
//
// The key file holds one key per line, "<key-id>:<64 hex characters>". The first line is the
// current key, used to seal; every line can open, so a key rotates by adding a new first line
// and re-sealing. Each sealed value records the id of the key that sealed it.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace warden::crypto {

struct Sealed {
  std::string key_id;
  std::string blob;  // 12-byte nonce || ciphertext || 16-byte tag
};

class Keyring {
 public:
  [[nodiscard]] static absl::StatusOr<Keyring> Load(const std::string& path);
  [[nodiscard]] static absl::StatusOr<Keyring> Parse(absl::string_view text);
  // A new key file's content with one random key.
  static std::string GenerateKeyFile(absl::string_view key_id);

  // aad binds the ciphertext to its row (e.g. connection name and username), so a ciphertext
  // copied to another row fails to open.
  [[nodiscard]] absl::StatusOr<Sealed> Seal(absl::string_view plaintext,
                                            absl::string_view aad) const;
  [[nodiscard]] absl::StatusOr<std::string> Open(const Sealed& sealed, absl::string_view aad) const;

  const std::string& current_key_id() const { return current_; }

 private:
  std::map<std::string, std::string> keys_;
  std::string current_;
};

}  // namespace warden::crypto
