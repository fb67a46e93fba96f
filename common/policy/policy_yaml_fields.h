// Readers for the fields policy documents share (names, actions, enums, lists of named items),
// for the files that parse sections of a policy document (policy_yaml.cc, policy_yaml_tests.cc).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/policy/policy_yaml.h"
#include "common/policy/yaml_reader.h"
#include "common/util/status_macros.h"
#include "warden/v1/policy.pb.h"
#include "yaml-cpp/yaml.h"

namespace warden::policy::internal::fields {

inline constexpr size_t kMaxNameLength = 63;

// Reads an enum by its canonical name (policy_names.cc); `what` names it in the error.
template <typename E>
absl::StatusOr<E> ReadEnum(const YamlReader& r, const YAML::Node& node, const std::string& path,
                           std::string_view what, int max, std::string_view (*name_of)(E)) {
  ASSIGN_OR_RETURN(const std::string s, r.String(node, path));
  std::vector<std::string_view> names;
  for (int v = 1; v <= max; ++v) {
    if (name_of(static_cast<E>(v)) == s) return static_cast<E>(v);
    names.push_back(name_of(static_cast<E>(v)));
  }
  return r.Error(node, path,
                 absl::StrCat("unknown ", Av(what), " ", Quote(s), " (expected ",
                              internal::JoinNames(names), ")"));
}

absl::StatusOr<warden::v1::Action> ReadAction(const YamlReader& r, const YamlField& f,
                                              const std::string& path);

// Names of policies, rules, masking rules and tests: [a-z0-9][a-z0-9-_.]{0,62}.
absl::StatusOr<std::string> ReadName(const YamlReader& r, const YamlMap& map);

absl::StatusOr<bool> ReadOptionalBool(const YamlReader& r, const YamlMap& map, std::string_view key,
                                      bool fallback);

// A list of non-blank strings (identities, groups, connections); absent or null is empty.
absl::Status ReadNames(const YamlReader& r, const YamlMap& map, std::string_view key,
                       google::protobuf::RepeatedPtrField<std::string>* out);

// The `tests:` section (policy_yaml_tests.cc); the rest of `policy` must be parsed already (the
// tests' subjects default to the policy's).
absl::Status ParsePolicyTests(const YamlReader& r, const YamlField& f, v1::Policy& policy);

// Walks a list of mappings that each carry a unique `name`, calling parse_item for each.
template <typename ParseItem>
absl::Status ParseNamedList(const YamlReader& r, const YamlField& f, const std::string& path,
                            std::string_view what, ParseItem parse_item) {
  if (!f.value.IsSequence()) {
    return r.Error(
        f.value, path,
        absl::StrCat("expected a list of ", Av(what), "s, got ", internal::DescribeNode(f.value)));
  }
  std::map<std::string, std::string> first_use;  // name -> path of the item that used it
  size_t index = 0;
  for (auto it = f.value.begin(); it != f.value.end(); ++it, ++index) {
    const YAML::Node item(*it);
    const std::string item_path = absl::StrCat(path, "[", index, "]");
    ASSIGN_OR_RETURN(const std::string name, parse_item(item, item_path));
    auto [pos, inserted] = first_use.emplace(name, item_path);
    if (!inserted) {
      const YAML::Node name_node(item["name"]);
      return r.Error(name_node, item_path + ".name",
                     absl::StrCat("duplicate ", Av(what), " name ", Quote(name), " (first used by ",
                                  pos->second, ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace warden::policy::internal::fields
