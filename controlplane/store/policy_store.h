// Policies, versioned by one global counter: every apply that changes a policy, and every
// delete, bumps it. Agents acknowledge the version they applied, so "is every agent current?"
// is one comparison.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "controlplane/store/database.h"
#include "warden/v1/admin.pb.h"
#include "warden/v1/policy.pb.h"

namespace warden::store {

struct ApplyResult {
  v1::PolicyInfo policy;
  bool changed = false;
  int64_t version = 0;
};

class PolicyStore {
 public:
  explicit PolicyStore(Database& db) : db_(db) {}

  // spec must already be validated; source is the YAML it was compiled from.
  [[nodiscard]] absl::StatusOr<ApplyResult> Apply(const v1::Policy& spec,
                                                  const std::string& source);
  [[nodiscard]] absl::StatusOr<std::vector<v1::PolicyInfo>> List();
  [[nodiscard]] absl::StatusOr<v1::PolicyInfo> Get(const std::string& name);
  // Returns the new global version.
  [[nodiscard]] absl::StatusOr<int64_t> Delete(const std::string& name);
  [[nodiscard]] absl::StatusOr<int64_t> CurrentVersion();
  [[nodiscard]] absl::StatusOr<v1::PolicySnapshot> Snapshot();

 private:
  absl::StatusOr<int64_t> VersionLocked();
  absl::StatusOr<int64_t> BumpLocked();
  absl::StatusOr<std::vector<v1::PolicyInfo>> QueryLocked(const std::string& name);
  Database& db_;
};

}  // namespace warden::store
