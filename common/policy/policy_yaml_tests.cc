// The `tests:` section of a policy document (policy_yaml.h): statements with the decision, and
// optionally the masked result columns, the author expects. The subject defaults to the policy's
// own: its first identity (or "policy-test") with its groups, on its first named connection.
#include "absl/strings/ascii.h"
#include "common/policy/policy_yaml_fields.h"

namespace warden::policy::internal::fields {

namespace {

constexpr std::string_view kTestKeys[] = {"name",   "statement",  "identity",
                                          "groups", "connection", "expect"};
constexpr std::string_view kExpectKeys[] = {"action", "rule", "policy", "masked"};
constexpr char kDefaultIdentity[] = "policy-test";

absl::Status ParseExpect(const YamlReader& r, const YamlField& f, const std::string& path,
                         v1::PolicyTest& test) {
  ASSIGN_OR_RETURN(const YamlMap map, r.Map(f.value, path, kExpectKeys));
  ASSIGN_OR_RETURN(const YamlField* action, r.Required(map, "action"));
  ASSIGN_OR_RETURN(const v1::Action a, ReadAction(r, *action, map.Child("action")));
  test.set_expect_action(a);
  if (const YamlField* rule = map.Find("rule")) {
    ASSIGN_OR_RETURN(*test.mutable_expect_rule(), r.String(rule->value, map.Child("rule")));
  }
  if (const YamlField* p = map.Find("policy")) {
    ASSIGN_OR_RETURN(*test.mutable_expect_policy(), r.String(p->value, map.Child("policy")));
  }
  if (map.Find("masked") != nullptr) {
    test.set_expect_masked_given(true);
    RETURN_IF_ERROR(ReadNames(r, map, "masked", test.mutable_expect_masked()));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::PolicyTest> ParseTest(const YamlReader& r, const YAML::Node& node,
                                         const std::string& path, const v1::Policy& policy) {
  ASSIGN_OR_RETURN(const YamlMap map, r.Map(node, path, kTestKeys));
  v1::PolicyTest test;
  ASSIGN_OR_RETURN(*test.mutable_name(), ReadName(r, map));
  ASSIGN_OR_RETURN(const YamlField* statement, r.Required(map, "statement"));
  ASSIGN_OR_RETURN(*test.mutable_statement(), r.String(statement->value, map.Child("statement")));
  if (absl::StripAsciiWhitespace(test.statement()).empty()) {
    return r.Error(statement->value, map.Child("statement"), "must not be empty");
  }
  if (const YamlField* id = map.Find("identity")) {
    ASSIGN_OR_RETURN(*test.mutable_identity(), r.String(id->value, map.Child("identity")));
  } else {
    test.set_identity(policy.subjects().identities().empty() ? kDefaultIdentity
                                                             : policy.subjects().identities(0));
  }
  if (map.Find("groups") != nullptr) {
    RETURN_IF_ERROR(ReadNames(r, map, "groups", test.mutable_groups()));
  } else {
    *test.mutable_groups() = policy.subjects().groups();
  }
  if (const YamlField* c = map.Find("connection")) {
    ASSIGN_OR_RETURN(*test.mutable_connection(), r.String(c->value, map.Child("connection")));
  } else {
    for (const std::string& c : policy.connections()) {
      if (c != "*") {
        test.set_connection(c);
        break;
      }
    }
    if (test.connection().empty()) {
      return r.Error(node, path,
                     "needs a connection: the policy names none but \"*\" (add connection: NAME)");
    }
  }
  ASSIGN_OR_RETURN(const YamlField* expect, r.Required(map, "expect"));
  RETURN_IF_ERROR(ParseExpect(r, *expect, map.Child("expect"), test));
  return test;
}

}  // namespace

absl::Status ParsePolicyTests(const YamlReader& r, const YamlField& f, v1::Policy& policy) {
  return ParseNamedList(
      r, f, "tests", "test",
      [&](const YAML::Node& item, const std::string& path) -> absl::StatusOr<std::string> {
        ASSIGN_OR_RETURN(v1::PolicyTest test, ParseTest(r, item, path, policy));
        *policy.add_tests() = std::move(test);
        return policy.tests(policy.tests_size() - 1).name();
      });
}

}  // namespace warden::policy::internal::fields
