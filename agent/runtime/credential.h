// The database credential of one session: opened from the sealed box the control plane made for
// this agent (common/crypto/sealed_box.h), held in memory only, and wiped when dropped.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace warden::agent {

struct DatabaseSecret {
  std::string username;
  std::string password;
  // The session's identity and groups as the control plane sealed them (not as the gateway
  // said): what policy is enforced for.
  std::string identity;
  std::vector<std::string> groups;
  int64_t token_expires_unix = 0;  // the session ends then (0: never)

  DatabaseSecret() = default;
  ~DatabaseSecret();  // OPENSSL_cleanse on both fields
  DatabaseSecret(const DatabaseSecret&) = delete;
  DatabaseSecret& operator=(const DatabaseSecret&) = delete;

  // Overwrites the password now (after authentication it is no longer needed).
  void WipePassword();
};

// The associated data the control plane sealed the credential with: "<session id>\n<connection>".
std::string CredentialAad(absl::string_view session_id, absl::string_view connection);

// What opens a credential and proves who made it.
struct CredentialKeys {
  std::string sealing_private_key;  // X25519: credentials are sealed to its public half
  std::string controlplane_key;     // the pinned Ed25519 key that signs every credential
  std::string agent_name;
};

// Opens a sealed v1::DatabaseCredential after checking the control plane's signature over it
// (anyone can seal to this agent's public key; only the control plane can sign), refusing one
// past its expiry (now_unix). Errors name the reason, never the contents.
[[nodiscard]] absl::StatusOr<std::unique_ptr<DatabaseSecret>> OpenCredential(
    const CredentialKeys& keys, absl::string_view session_id, absl::string_view connection,
    absl::string_view sealed, absl::string_view signature, int64_t now_unix);

// OPENSSL_cleanse over the whole capacity-in-use of `s`, then clear().
void WipeString(std::string& s);

}  // namespace warden::agent
