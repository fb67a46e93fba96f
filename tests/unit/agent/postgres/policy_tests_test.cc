// Tests for policy tests: the `tests:` section of a policy document (policy_yaml_tests.cc) and
// the runner that evaluates them with the agent's own decisions (agent/postgres/policy_tests.h).
#include "agent/postgres/policy_tests.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <string>

#include "common/policy/policy_yaml.h"

namespace {

using warden::policy::ParsePolicyYaml;
using warden::v1::Policy;
using warden::v1::PolicySnapshot;
using warden::v1::PolicyTestReport;

constexpr char kPolicy[] = R"(name: agents
subjects: {identities: [claude], groups: [ai-agents]}
connections: ["*", demo]
default_action: deny
rules:
  - name: no-drop
    match: {commands: [DROP TABLE]}
    action: deny
    message: ask a DBA
  - name: ddl-approval
    match: {classes: [ddl]}
    action: require_approval
  - name: reads
    match: {classes: [read]}
    action: allow
masking:
  - name: emails
    columns: ["*.email"]
    strategy: redact
)";

Policy MustParse(const std::string& yaml) {
  absl::StatusOr<Policy> p = ParsePolicyYaml(yaml, "p.yaml");
  INFO(p.status().ToString());
  REQUIRE(p.ok());
  return *std::move(p);
}

std::string ErrorOf(const std::string& yaml) {
  absl::StatusOr<Policy> p = ParsePolicyYaml(yaml, "p.yaml");
  return p.ok() ? "OK" : std::string(p.status().message());
}

PolicyTestReport RunOn(const std::string& yaml) {
  PolicySnapshot snap;
  snap.set_version(1);
  *snap.add_policies() = MustParse(yaml);
  return warden::agent::RunPolicyTests(snap);
}

}  // namespace

TEST_CASE("a test's subject defaults to the policy's first identity, groups and named connection") {
  const Policy p = MustParse(std::string(kPolicy) + R"(tests:
  - name: drop
    statement: DROP TABLE t
    expect: {action: deny, rule: no-drop}
  - name: other
    statement: SELECT 1
    identity: bob
    groups: []
    connection: other
    expect: {action: allow, policy: agents, masked: []}
)");
  REQUIRE(p.tests_size() == 2);
  const auto& t = p.tests(0);
  CHECK(t.name() == "drop");
  CHECK(t.identity() == "claude");
  CHECK(std::vector<std::string>(t.groups().begin(), t.groups().end()) ==
        std::vector<std::string>{"ai-agents"});
  CHECK(t.connection() == "demo");  // "*" is not a connection a statement can run on
  CHECK(t.expect_action() == warden::v1::ACTION_DENY);
  CHECK(t.expect_rule() == "no-drop");
  CHECK_FALSE(t.expect_masked_given());
  const auto& o = p.tests(1);
  CHECK(o.identity() == "bob");
  CHECK(o.groups().empty());
  CHECK(o.connection() == "other");
  CHECK(o.expect_policy() == "agents");
  CHECK(o.expect_masked_given());  // `masked: []` pins "nothing masked"
  CHECK(o.expect_masked().empty());
}

TEST_CASE("invalid tests are refused with the field's path") {
  const std::string base = std::string(kPolicy) + "tests:\n";
  CHECK_THAT(ErrorOf(base + "  - name: a\n    expect: {action: allow}\n"),
             Catch::Contains("tests[0]") && Catch::Contains("statement"));
  CHECK_THAT(ErrorOf(base + "  - name: a\n    statement: ' '\n    expect: {action: allow}\n"),
             Catch::Contains("must not be empty"));
  CHECK_THAT(ErrorOf(base + "  - name: a\n    statement: SELECT 1\n"), Catch::Contains("expect"));
  CHECK_THAT(ErrorOf(base + "  - name: a\n    statement: SELECT 1\n    expect: {action: maybe}\n"),
             Catch::Contains("tests[0].expect.action"));
  CHECK_THAT(ErrorOf(base + "  - name: a\n    statement: SELECT 1\n    expect: {action: allow, "
                            "rows: 3}\n"),
             Catch::Contains("rows"));
  CHECK_THAT(ErrorOf(base + "  - name: a\n    statement: SELECT 1\n    expect: {action: allow}\n"
                            "  - name: a\n    statement: SELECT 2\n    expect: {action: allow}\n"),
             Catch::Contains("duplicate") || Catch::Contains("twice"));
  // Only "*": the author must say where the statement runs.
  CHECK_THAT(ErrorOf("name: p\nsubjects: {groups: [g]}\nconnections: [\"*\"]\ntests:\n  - name: a\n"
                     "    statement: SELECT 1\n    expect: {action: allow}\n"),
             Catch::Contains("needs a connection"));
}

TEST_CASE("policy tests pass when the agent would decide as expected, and say the difference") {
  const PolicyTestReport report = RunOn(std::string(kPolicy) + R"(tests:
  - name: drop-refused
    statement: DROP TABLE t
    expect: {action: deny, rule: no-drop}
  - name: wrong-rule
    statement: CREATE TABLE t (a int)
    expect: {action: require_approval, rule: no-drop}
  - name: wrong-action
    statement: UPDATE t SET a = 1 WHERE a = 2
    expect: {action: allow}
  - name: masked
    statement: SELECT email, id FROM customers
    expect: {action: allow, rule: reads, masked: [email]}
  - name: wrongly-masked
    statement: SELECT email, id FROM customers
    expect: {action: allow, masked: [id]}
  - name: batch-denied-by-one
    statement: SELECT 1; DROP TABLE t
    expect: {action: deny, rule: no-drop}
)");
  REQUIRE(report.results_size() == 6);
  auto result = [&](int i) { return report.results(i); };
  CHECK(result(0).passed());
  CHECK(result(0).difference().empty());
  CHECK_FALSE(result(1).passed());
  CHECK(result(1).difference() ==
        "expected require_approval rule \"no-drop\", got require_approval by policy \"agents\" "
        "rule \"ddl-approval\"");
  CHECK_FALSE(result(2).passed());
  CHECK_THAT(result(2).difference(), Catch::StartsWith("expected allow, got deny by policy"));
  CHECK(result(3).passed());
  CHECK_FALSE(result(4).passed());
  CHECK(result(4).difference() == "expected masked [id], got [email]");
  CHECK(result(5).passed());
  CHECK(result(5).policy() == "agents");
  CHECK(result(5).test() == "batch-denied-by-one");
  // Every statement rule and the column rule were reached by some test.
  CHECK(report.unreached().empty());
}

TEST_CASE("rules no test reaches are listed, column masking rules included") {
  const PolicyTestReport report = RunOn(std::string(kPolicy) + R"(tests:
  - name: read
    statement: SELECT id FROM customers
    expect: {action: allow}
)");
  REQUIRE(report.results_size() == 1);
  CHECK(report.results(0).passed());
  CHECK(std::vector<std::string>(report.unreached().begin(), report.unreached().end()) ==
        std::vector<std::string>{"agents/ddl-approval", "agents/masking/emails", "agents/no-drop"});
}

TEST_CASE("tests are evaluated against every policy given, so another policy can decide") {
  PolicySnapshot snap;
  snap.set_version(1);
  *snap.add_policies() = MustParse(std::string(kPolicy) + R"(tests:
  - name: reads-allowed
    statement: SELECT id FROM orders
    expect: {action: allow, policy: agents}
)");
  *snap.add_policies() = MustParse(R"(name: lockdown
subjects: {groups: [ai-agents]}
connections: [demo]
rules:
  - name: no-orders
    match: {relations: [orders]}
    action: deny
)");
  const PolicyTestReport report = warden::agent::RunPolicyTests(snap);
  REQUIRE(report.results_size() == 1);
  CHECK_FALSE(report.results(0).passed());
  CHECK(report.results(0).difference() ==
        "expected allow by policy \"agents\", got deny by policy \"lockdown\" rule \"no-orders\"");
}

TEST_CASE("the shipped example policies pass their tests, which reach every rule") {
  for (const char* name :
       {"agents-guardrails", "readonly-analysts", "dba-break-glass", "demo-access"}) {
    INFO(name);
    std::ifstream in(std::string(WARDEN_SOURCE_DIR) + "/deploy/policies/" + name + ".yaml");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    PolicySnapshot snap;
    snap.set_version(1);
    *snap.add_policies() = MustParse(text);
    REQUIRE(snap.policies(0).tests_size() > 0);
    const PolicyTestReport report = warden::agent::RunPolicyTests(snap);
    for (const auto& r : report.results()) {
      INFO(r.test() << ": " << r.difference());
      CHECK(r.passed());
    }
    CHECK(report.unreached().empty());
  }
}
