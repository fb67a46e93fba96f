// Connections (a database that an agent serves) and their credentials. A credential's secret
// is sealed with the master key on the way in and is never returned by any admin API; only
// OpenCredential, used on the data path to re-seal it for an agent, can read it.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/crypto/keyring.h"
#include "controlplane/store/database.h"
#include "warden/v1/admin.pb.h"
#include "warden/v1/agent.pb.h"

namespace warden::store {

struct Credential {
  std::string username;
  std::string secret;
};

class ConnectionStore {
 public:
  ConnectionStore(Database& db, const crypto::Keyring& keyring) : db_(db), keyring_(keyring) {}

  [[nodiscard]] absl::StatusOr<v1::ConnectionInfo> Create(const v1::ConnectionInfo& c);
  [[nodiscard]] absl::StatusOr<std::vector<v1::ConnectionInfo>> List();
  [[nodiscard]] absl::StatusOr<v1::ConnectionInfo> Get(const std::string& name);
  [[nodiscard]] absl::Status Delete(const std::string& name);
  [[nodiscard]] absl::StatusOr<std::vector<v1::ServedConnection>> ServedBy(int64_t agent_id);

  [[nodiscard]] absl::Status SetCredential(const std::string& connection,
                                           const std::string& username, const std::string& secret);
  // DataLoss when the stored ciphertext fails authentication (tampered or moved rows).
  [[nodiscard]] absl::StatusOr<Credential> OpenCredential(const std::string& connection);

 private:
  absl::StatusOr<std::vector<v1::ConnectionInfo>> Query(const std::string& where,
                                                        const std::string& arg);
  Database& db_;
  const crypto::Keyring& keyring_;
};

// Additional data bound into each credential's ciphertext.
std::string CredentialAad(const std::string& connection, const std::string& username);

}  // namespace warden::store
