#include "controlplane/wardenctl/policy_files.h"

#include <algorithm>

#include "common/policy/policy_yaml.h"
#include "common/util/files.h"

namespace warden::wardenctl {

absl::StatusOr<v1::PolicySnapshot> SnapshotFromFiles(const std::vector<std::string>& files) {
  std::vector<std::pair<std::string, std::string>> texts;
  for (const std::string& path : files) {
    absl::StatusOr<std::string> text = ReadFile(path);
    if (!text.ok()) return text.status();
    texts.emplace_back(path, *std::move(text));
  }
  return SnapshotFromTexts(texts);
}

absl::StatusOr<v1::PolicySnapshot> SnapshotFromTexts(
    const std::vector<std::pair<std::string, std::string>>& texts) {
  v1::PolicySnapshot snap;
  snap.set_version(1);
  for (const auto& [name, text] : texts) {
    absl::StatusOr<v1::Policy> p = policy::ParsePolicyYaml(text, name);
    if (!p.ok()) return p.status();
    *snap.add_policies() = *std::move(p);
  }
  SortPolicies(snap);
  return snap;
}

void SortPolicies(v1::PolicySnapshot& snap) {
  std::sort(snap.mutable_policies()->begin(), snap.mutable_policies()->end(),
            [](const v1::Policy& a, const v1::Policy& b) { return a.name() < b.name(); });
}

}  // namespace warden::wardenctl
