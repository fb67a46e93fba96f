// Policy files read on this machine, for the commands that evaluate them offline (policies
// explain -f, policies test, the tests policies apply runs first).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "warden/v1/policy.pb.h"

namespace warden::wardenctl {

// The policies in the files, as one snapshot (as if applied together), sorted by name. Errors
// name the file, line and field.
[[nodiscard]] absl::StatusOr<v1::PolicySnapshot> SnapshotFromFiles(
    const std::vector<std::string>& files);

// The same from texts already read: (file name for errors, YAML text).
[[nodiscard]] absl::StatusOr<v1::PolicySnapshot> SnapshotFromTexts(
    const std::vector<std::pair<std::string, std::string>>& texts);

// Orders a snapshot's policies by name, as the control plane sends them to agents.
void SortPolicies(v1::PolicySnapshot& snap);

}  // namespace warden::wardenctl
