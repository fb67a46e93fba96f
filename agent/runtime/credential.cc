#include "agent/runtime/credential.h"

#include <openssl/crypto.h>

#include "absl/strings/str_cat.h"
#include "common/crypto/ed25519.h"
#include "common/crypto/sealed_box.h"
#include "common/crypto/signing_inputs.h"
#include "warden/v1/agent.pb.h"

namespace warden::agent {

void WipeString(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

DatabaseSecret::~DatabaseSecret() {
  WipeString(username);
  WipeString(password);
}

void DatabaseSecret::WipePassword() { WipeString(password); }

std::string CredentialAad(absl::string_view session_id, absl::string_view connection) {
  return absl::StrCat(session_id, "\n", connection);
}

absl::StatusOr<std::unique_ptr<DatabaseSecret>> OpenCredential(
    const CredentialKeys& keys, absl::string_view session_id, absl::string_view connection,
    absl::string_view sealed, absl::string_view signature, int64_t now_unix) {
  if (sealed.empty()) return absl::InvalidArgumentError("no credential was sent for the session");
  if (!crypto::Ed25519Verify(
          keys.controlplane_key,
          crypto::CredentialSigningInput(keys.agent_name, session_id, connection, sealed),
          signature)) {
    return absl::PermissionDeniedError(
        "the session's credential is not signed by the control plane this agent trusts "
        "(--controlplane-key): refused");
  }
  auto plain =
      crypto::OpenSealed(keys.sealing_private_key, sealed, CredentialAad(session_id, connection));
  if (!plain.ok()) {
    return absl::PermissionDeniedError(
        "the credential could not be opened with this agent's key (sealed for another agent, "
        "session or connection?)");
  }
  v1::DatabaseCredential cred;
  bool parsed = cred.ParseFromString(*plain);
  WipeString(*plain);
  auto secret = std::make_unique<DatabaseSecret>();
  if (parsed) {
    secret->username = cred.username();
    secret->password = cred.password();
    secret->identity = cred.identity();
    secret->groups.assign(cred.groups().begin(), cred.groups().end());
    secret->token_expires_unix = cred.token_expires_unix();
  }
  WipeString(*cred.mutable_username());
  WipeString(*cred.mutable_password());
  if (!parsed) return absl::InvalidArgumentError("the opened credential is malformed");
  if (cred.expires_unix() <= now_unix) {
    return absl::PermissionDeniedError("the sealed credential has expired (replayed or late)");
  }
  if (secret->username.empty()) return absl::InvalidArgumentError("the credential has no username");
  return secret;
}

}  // namespace warden::agent
