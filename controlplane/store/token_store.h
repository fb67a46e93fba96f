// Identities with their access tokens, and admin tokens. Only SHA-256 hashes of tokens are
// stored; the token itself is returned once, at creation.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "controlplane/store/database.h"
#include "warden/v1/admin.pb.h"

namespace warden::store {

struct IssuedToken {
  v1::TokenInfo info;
  std::string token;
};

struct Principal {
  std::string identity;
  std::vector<std::string> groups;
  std::string token_id;
  int64_t expires_unix = 0;
};

class TokenStore {
 public:
  explicit TokenStore(Database& db) : db_(db) {}

  // Creates the identity on first use. ttl_seconds must be positive.
  [[nodiscard]] absl::StatusOr<IssuedToken> Create(const std::string& identity,
                                                   const std::vector<std::string>& groups,
                                                   int64_t ttl_seconds);
  [[nodiscard]] absl::StatusOr<std::vector<v1::TokenInfo>> List(const std::string& identity);
  [[nodiscard]] absl::StatusOr<v1::TokenInfo> Revoke(const std::string& public_id);
  // UNAUTHENTICATED, saying whether the token is unknown, expired or revoked.
  [[nodiscard]] absl::StatusOr<Principal> Authenticate(const std::string& token);

 private:
  absl::StatusOr<std::vector<v1::TokenInfo>> Query(const std::string& where,
                                                   const std::string& arg);
  Database& db_;
};

class AdminTokenStore {
 public:
  explicit AdminTokenStore(Database& db) : db_(db) {}

  [[nodiscard]] absl::StatusOr<int64_t> CountActive();
  // Returns the new token (shown once).
  [[nodiscard]] absl::StatusOr<std::string> Create(const std::string& name);
  [[nodiscard]] absl::Status Authenticate(const std::string& token);
  // Returns the info and the new token (shown once).
  [[nodiscard]] absl::StatusOr<std::pair<v1::AdminTokenInfo, std::string>> CreateListed(
      const std::string& name);
  [[nodiscard]] absl::StatusOr<std::vector<v1::AdminTokenInfo>> List();
  // FailedPrecondition for the last working admin token: nobody could administer any more.
  [[nodiscard]] absl::StatusOr<v1::AdminTokenInfo> Revoke(const std::string& id);

 private:
  Database& db_;
};

}  // namespace warden::store
