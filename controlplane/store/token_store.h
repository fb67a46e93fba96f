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
  // A token with role "admin" and nobody's identity (the set-up token); returns it (shown once).
  [[nodiscard]] absl::StatusOr<std::string> Create(const std::string& name);
  // Who presents `token` and what they may do (its info: identity, groups, roles).
  [[nodiscard]] absl::StatusOr<v1::AdminTokenInfo> Authenticate(const std::string& token);
  // `spec` gives the name, identity, groups and roles (validated by the caller). Returns the
  // info and the new token (shown once).
  [[nodiscard]] absl::StatusOr<std::pair<v1::AdminTokenInfo, std::string>> CreateListed(
      const v1::AdminTokenInfo& spec);
  [[nodiscard]] absl::StatusOr<std::vector<v1::AdminTokenInfo>> List();
  // FailedPrecondition for the last working token with role admin: nobody could administer
  // any more.
  [[nodiscard]] absl::StatusOr<v1::AdminTokenInfo> Revoke(const std::string& id);

 private:
  Database& db_;
};

}  // namespace warden::store
