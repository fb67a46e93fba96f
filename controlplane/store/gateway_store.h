// Gateways: each created by an admin, who receives its token once (only the hash is kept). A
// gateway is known by its token; rotating issues a new one and lets the old one work for a
// grace period, so the gateway picks the new one up without downtime.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "controlplane/store/database.h"
#include "warden/v1/admin.pb.h"

namespace warden::store {

class GatewayStore {
 public:
  explicit GatewayStore(Database& db) : db_(db) {}

  // Returns the info and the new token (shown once).
  [[nodiscard]] absl::StatusOr<std::pair<v1::GatewayInfo, std::string>> Create(
      const std::string& name);
  [[nodiscard]] absl::StatusOr<std::vector<v1::GatewayInfo>> List();
  // A new token; the gateway's other tokens stop working after grace_seconds (at once for 0).
  [[nodiscard]] absl::StatusOr<std::pair<v1::GatewayInfo, std::string>> Rotate(
      const std::string& name, int64_t grace_seconds);
  // Removes the gateway and every token it has.
  [[nodiscard]] absl::Status Revoke(const std::string& name);
  // The gateway's name for a token that works now; UNAUTHENTICATED otherwise (the message says
  // how to fix it, never whose token it was).
  [[nodiscard]] absl::StatusOr<std::string> Authenticate(const std::string& token);

 private:
  [[nodiscard]] absl::StatusOr<v1::GatewayInfo> InfoLocked(const std::string& name);
  Database& db_;
};

}  // namespace warden::store
