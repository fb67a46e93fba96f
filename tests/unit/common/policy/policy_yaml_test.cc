// Tests for common/policy/policy_yaml: the full format into proto fields, defaults, the
// example policies under deploy/policies, and one test per class of invalid document, each
// checking the "file:line:column: field path: problem" message.
#include "common/policy/policy_yaml.h"

#include <google/protobuf/text_format.h>
#include <google/protobuf/util/message_differencer.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "common/policy/command_tags.h"

namespace {

using warden::policy::ParsePolicyYaml;
using warden::v1::Policy;

// The parser's error message for `yaml`, or "OK" when it parsed.
std::string ErrorOf(const std::string& yaml) {
  absl::StatusOr<Policy> p = ParsePolicyYaml(yaml, "p.yaml");
  if (p.ok()) return "OK";
  CHECK(p.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(p.status().message());
}

Policy MustParse(const std::string& yaml, const std::string& filename = "p.yaml") {
  absl::StatusOr<Policy> p = ParsePolicyYaml(yaml, filename);
  INFO(p.status().ToString());
  REQUIRE(p.ok());
  return *std::move(p);
}

Policy FromText(const std::string& text) {
  Policy p;
  REQUIRE(google::protobuf::TextFormat::ParseFromString(text, &p));
  return p;
}

// Three valid lines that documents below extend, so their own lines start at line 4.
const std::string kBase = "name: p\nsubjects: {groups: [g]}\nconnections: [c]\n";

// Every field of the format, with values that exercise normalisation.
const char kFullPolicyYaml[] = R"(name: agents-guardrails
description: Guardrails for agents
subjects:
  identities: [claude-agent, bot]
  groups: [ai-agents]
connections: [demo, "*"]
default_action: require_approval
read_only: false
forward_unparsed: true
rules:
  - name: no-drop
    match:
      commands: [drop   table, Truncate  Table]
      classes: [ddl, admin]
      relations: ["Billing.*", invoices]
      functions: ["pg_read_file", "public.f*"]
      without_where: true
    action: deny
    message: "Dropping tables needs a ticket"
  - name: everything-else
    action: allow
masking_unknown: deny
masking:
  - name: cards
    columns: ["*.card_number", "Public.Customers.Email"]
    detectors: [credit_card, us_ssn]
    pattern: "(?i)secret-[a-z0-9]+"
    strategy: partial
    keep_last: 4
  - name: keys
    detectors: [jwt, aws_access_key, private_key, iban, phone, email]
    strategy: "null"
recording:
  enabled: true
  include_results: true
  max_result_rows: 250
approval:
  approver_groups: [dba]
  approver_identities: [alice]
  timeout_seconds: 600
  approvals_required: 2
  max_window_seconds: 3600
)";

// What kFullPolicyYaml must become.
const char kFullPolicyProto[] = R"pb(
  name: "agents-guardrails"
  description: "Guardrails for agents"
  subjects { identities: "claude-agent" identities: "bot" groups: "ai-agents" }
  connections: "demo"
  connections: "*"
  default_action: ACTION_REQUIRE_APPROVAL
  read_only: false
  forward_unparsed: true
  rules {
    name: "no-drop"
    match {
      commands: "DROP TABLE"
      commands: "TRUNCATE TABLE"
      classes: STATEMENT_CLASS_DDL
      classes: STATEMENT_CLASS_ADMIN
      relations: "billing.*"
      relations: "invoices"
      functions: "pg_read_file"
      functions: "public.f*"
      without_where: true
    }
    action: ACTION_DENY
    message: "Dropping tables needs a ticket"
  }
  rules { name: "everything-else" action: ACTION_ALLOW }
  masking {
    name: "cards"
    columns: "*.card_number"
    columns: "public.customers.email"
    detectors: DETECTOR_CREDIT_CARD
    detectors: DETECTOR_US_SSN
    pattern: "(?i)secret-[a-z0-9]+"
    strategy: MASK_STRATEGY_PARTIAL
    keep_last: 4
  }
  masking {
    name: "keys"
    detectors: [
      DETECTOR_JWT,
      DETECTOR_AWS_ACCESS_KEY,
      DETECTOR_PRIVATE_KEY,
      DETECTOR_IBAN,
      DETECTOR_PHONE,
      DETECTOR_EMAIL
    ]
    strategy: MASK_STRATEGY_NULL
  }
  masking_unknown: UNKNOWN_LINEAGE_DENY
  recording { enabled: true include_results: true max_result_rows: 250 }
  approval {
    approver_groups: "dba"
    approver_identities: "alice"
    timeout_seconds: 600
    approvals_required: 2
    max_window_seconds: 3600
  }
)pb";

}  // namespace

TEST_CASE("a full policy maps onto every proto field", "[policy_yaml]") {
  const Policy expected = FromText(kFullPolicyProto);
  const Policy got = MustParse(kFullPolicyYaml);
  std::string diff;
  google::protobuf::util::MessageDifferencer differ;
  differ.ReportDifferencesToString(&diff);
  INFO(diff);
  CHECK(differ.Compare(expected, got));
  CHECK(got.version() == 0);  // the control plane assigns versions
  CHECK(got.rules(1).has_match() == false);
}

TEST_CASE("a minimal policy gets fail-closed defaults", "[policy_yaml]") {
  const Policy p = MustParse(kBase);
  CHECK(p.name() == "p");
  CHECK(p.default_action() == warden::v1::ACTION_DENY);
  CHECK_FALSE(p.read_only());
  CHECK_FALSE(p.forward_unparsed());
  CHECK(p.rules().empty());
  CHECK(p.masking().empty());
  CHECK_FALSE(p.has_recording());
  CHECK(p.approval().timeout_seconds() == 300);
  CHECK(p.approval().approvals_required() == 1);
  CHECK(p.version() == 0);
}

TEST_CASE("defaults inside sections and null values", "[policy_yaml]") {
  const Policy p = MustParse(kBase +
                             "description:\n"
                             "recording: {enabled: true}\n"
                             "approval: {approver_groups: [dba]}\n"
                             "rules:\n"
                             "  - {name: all, match: {}, action: allow}\n"
                             "  - {name: also-all, match: ~, action: deny}\n");
  CHECK(p.description().empty());
  CHECK(p.recording().enabled());
  CHECK_FALSE(p.recording().include_results());
  CHECK(p.recording().max_result_rows() == 100);
  CHECK(p.approval().timeout_seconds() == 300);
  REQUIRE(p.rules_size() == 2);
  CHECK(p.rules(0).match().commands().empty());
  CHECK_FALSE(p.rules(0).match().without_where());
  CHECK(p.rules(1).action() == warden::v1::ACTION_DENY);
}

TEST_CASE("the example policies in deploy/policies parse", "[policy_yaml]") {
  const std::string names[] = {"readonly-analysts", "agents-guardrails", "dba-break-glass"};
  for (const std::string& name : names) {
    const std::string path = std::string(WARDEN_SOURCE_DIR) + "/deploy/policies/" + name + ".yaml";
    INFO(path);
    std::ifstream in(path);
    REQUIRE(in.good());
    std::stringstream text;
    text << in.rdbuf();
    const Policy p = MustParse(text.str(), path);
    CHECK(p.name() == name);
    CHECK_FALSE(p.connections().empty());
    CHECK(p.recording().enabled());
  }
}

TEST_CASE("example policies say what their names promise", "[policy_yaml]") {
  auto load = [](const std::string& name) {
    std::ifstream in(std::string(WARDEN_SOURCE_DIR) + "/deploy/policies/" + name + ".yaml");
    std::stringstream text;
    text << in.rdbuf();
    return MustParse(text.str());
  };
  const Policy analysts = load("readonly-analysts");
  CHECK(analysts.read_only());
  CHECK(analysts.subjects().groups(0) == "analysts");
  const Policy agents = load("agents-guardrails");
  CHECK(agents.default_action() == warden::v1::ACTION_DENY);
  CHECK(agents.rules(0).action() == warden::v1::ACTION_DENY);
  CHECK(agents.rules(1).match().without_where());
  CHECK(agents.recording().include_results());
  const Policy dba = load("dba-break-glass");
  CHECK(dba.default_action() == warden::v1::ACTION_ALLOW);
  CHECK(dba.rules(0).match().commands(0) == "DROP DATABASE");
  CHECK(dba.rules(0).action() == warden::v1::ACTION_REQUIRE_APPROVAL);
}

TEST_CASE("enum names round-trip", "[policy_yaml]") {
  using namespace warden::policy;
  for (int v = 1; v <= warden::v1::Action_MAX; ++v) {
    const auto a = static_cast<warden::v1::Action>(v);
    CHECK(ActionFromName(ActionName(a)) == a);
  }
  for (int v = 1; v <= warden::v1::StatementClass_MAX; ++v) {
    const auto c = static_cast<warden::v1::StatementClass>(v);
    CHECK(ClassFromName(ClassName(c)) == c);
  }
  for (int v = 1; v <= warden::v1::MaskStrategy_MAX; ++v) {
    const auto s = static_cast<warden::v1::MaskStrategy>(v);
    CHECK(StrategyFromName(StrategyName(s)) == s);
  }
  for (int v = 1; v <= warden::v1::Detector_MAX; ++v) {
    const auto d = static_cast<warden::v1::Detector>(v);
    CHECK(DetectorFromName(DetectorName(d)) == d);
  }
  CHECK(ActionName(warden::v1::ACTION_REQUIRE_APPROVAL) == "require_approval");
  CHECK(ClassName(warden::v1::STATEMENT_CLASS_OPAQUE) == "opaque");
  CHECK(StrategyName(warden::v1::MASK_STRATEGY_NULL) == "null");
  CHECK(DetectorName(warden::v1::DETECTOR_AWS_ACCESS_KEY) == "aws_access_key");
  CHECK(ActionName(warden::v1::ACTION_UNSPECIFIED) == "unspecified");
  CHECK(ClassName(static_cast<warden::v1::StatementClass>(99)) == "unspecified");
  CHECK_FALSE(ActionFromName("unspecified").has_value());
  CHECK_FALSE(ActionFromName("ALLOW").has_value());
}

TEST_CASE("the documented example error message", "[policy_yaml]") {
  const std::string yaml =
      "name: p\n"
      "subjects: {groups: [g]}\n"
      "connections: [c]\n"
      "rules:\n"
      "  - {name: a, action: allow}\n"
      "  - name: b\n"
      "    action: alow\n";
  CHECK(ErrorOf(yaml) ==
        "p.yaml:7:13: rules[1].action: unknown action \"alow\" (expected allow, deny, "
        "require_approval)");
}

namespace {

struct InvalidCase {
  const char* what;
  std::string yaml;
  const char* where;    // "line:column: field path", the start of the message after "p.yaml:"
  const char* problem;  // a fragment of the problem text
};

const InvalidCase kInvalidCases[] = {
    {"unknown top-level key", kBase + "rulez: []\n", "4:1: rulez", "did you mean \"rules\""},
    {"unknown rule key", kBase + "rules:\n  - name: a\n    acton: allow\n", "6:5: rules[0].acton",
     "unknown field; did you mean \"action\""},
    {"unknown match key", kBase + "rules:\n  - name: a\n    match: {comands: [SELECT]}\n",
     "6:13: rules[0].match.comands", "unknown field"},
    {"unknown subjects key", "name: p\nsubjects: {group: [g]}\nconnections: [c]\n",
     "2:12: subjects.group", "did you mean \"groups\""},
    {"map where a list is expected", "name: p\nsubjects: {groups: [g]}\nconnections: {a: b}\n",
     "3:14: connections", "expected a list, got a mapping"},
    {"rules not a list", kBase + "rules:\n  name: a\n", "5:3: rules",
     "expected a list of rules, got a mapping"},
    {"scalar where a mapping is expected", kBase + "recording: yes\n", "4:12: recording",
     "expected a mapping, got the scalar \"yes\""},
    {"list where a string is expected", kBase + "description: [a]\n", "4:14: description",
     "expected a string, got a list"},
    {"non-boolean", kBase + "read_only: yes\n", "4:12: read_only",
     "expected a boolean (true or false), got \"yes\""},
    {"quoted boolean", kBase + "forward_unparsed: \"true\"\n", "4:19: forward_unparsed",
     "got the quoted string \"true\""},
    {"boolean in match", kBase + "rules:\n  - name: a\n    match: {without_where: 1}\n",
     "6:28: rules[0].match.without_where", "expected a boolean"},
    {"non-integer", kBase + "approval:\n  timeout_seconds: 10m\n", "5:20: approval.timeout_seconds",
     "expected an integer from 1 to 86400, got \"10m\""},
    {"integer out of range", kBase + "approval:\n  timeout_seconds: 86401\n",
     "5:20: approval.timeout_seconds", "from 1 to 86400"},
    {"no approvals required", kBase + "approval:\n  approvals_required: 0\n",
     "5:23: approval.approvals_required", "from 1 to 10"},
    {"negative integer", kBase + "recording:\n  enabled: true\n  max_result_rows: -1\n",
     "6:20: recording.max_result_rows", "got \"-1\""},
    {"missing name", "subjects: {groups: [g]}\nconnections: [c]\n", "1:1: name",
     "required field is missing"},
    {"null name", "name:\nsubjects: {groups: [g]}\nconnections: [c]\n", "1:1: name",
     "required field is empty"},
    {"empty name", "name: \"\"\nsubjects: {groups: [g]}\nconnections: [c]\n", "1:7: name",
     "must not be empty"},
    {"badly formed name", "name: My Policy\nsubjects: {groups: [g]}\nconnections: [c]\n",
     "1:7: name", "invalid name \"My Policy\""},
    {"name too long",
     "name: " + std::string(64, 'a') + "\nsubjects: {groups: [g]}\nconnections: [c]\n", "1:7: name",
     "longer than 63"},
    {"missing subjects", "name: p\nconnections: [c]\n", "1:1: subjects",
     "required field is missing"},
    {"subjects without anyone", "name: p\nsubjects: {identities: []}\nconnections: [c]\n",
     "2:11: subjects", "at least one identity or group"},
    {"blank group", "name: p\nsubjects: {groups: [\" \"]}\nconnections: [c]\n",
     "2:21: subjects.groups[0]", "must not be empty"},
    {"missing connections", "name: p\nsubjects: {groups: [g]}\n", "1:1: connections",
     "required field is missing"},
    {"empty connections", "name: p\nsubjects: {groups: [g]}\nconnections: []\n",
     "3:14: connections", "at least one connection"},
    {"missing rule action", kBase + "rules:\n  - name: a\n", "5:5: rules[0].action",
     "required field is missing"},
    {"missing rule name", kBase + "rules:\n  - action: allow\n", "5:5: rules[0].name",
     "required field is missing"},
    {"duplicate rule names",
     kBase + "rules:\n  - {name: a, action: allow}\n  - {name: a, action: deny}\n",
     "6:12: rules[1].name", "duplicate rule name \"a\" (first used by rules[0])"},
    {"bad default action", kBase + "default_action: permit\n", "4:17: default_action",
     "unknown action \"permit\""},
    {"bad statement class",
     kBase + "rules:\n  - name: a\n    match: {classes: [read, writes]}\n    action: deny\n",
     "6:29: rules[0].match.classes[1]", "unknown statement class \"writes\""},
    {"bad command", kBase + "rules:\n  - name: a\n    match: {commands: [DROP_TABLE]}\n",
     "6:24: rules[0].match.commands[0]", "invalid command \"DROP_TABLE\""},
    {"bad relation glob", kBase + "rules:\n  - name: a\n    match: {relations: [\"a..b\"]}\n",
     "6:25: rules[0].match.relations[0]", "invalid pattern \"a..b\""},
    {"duplicate masking names",
     kBase + "masking:\n  - {name: m, detectors: [email], strategy: hash}\n"
             "  - {name: m, detectors: [jwt], strategy: hash}\n",
     "6:12: masking[1].name", "duplicate masking rule name \"m\""},
    {"bad detector", kBase + "masking:\n  - name: m\n    detectors: [ccard]\n    strategy: hash\n",
     "6:17: masking[0].detectors[0]", "unknown detector \"ccard\""},
    {"bad strategy", kBase + "masking:\n  - name: m\n    detectors: [email]\n    strategy: blur\n",
     "7:15: masking[0].strategy",
     "unknown strategy \"blur\" (expected redact, partial, hash, null)"},
    {"missing strategy", kBase + "masking:\n  - name: m\n    detectors: [email]\n",
     "5:5: masking[0].strategy", "required field is missing"},
    {"keep_last without partial",
     kBase +
         "masking:\n  - name: m\n    detectors: [email]\n    strategy: redact\n    keep_last: 4\n",
     "8:5: masking[0].keep_last", "only valid with strategy partial"},
    {"partial without keep_last",
     kBase + "masking:\n  - name: m\n    detectors: [email]\n    strategy: partial\n",
     "7:15: masking[0].keep_last", "required when strategy is partial"},
    {"keep_last out of range",
     kBase + "masking:\n  - name: m\n    detectors: [email]\n    strategy: partial\n    keep_last: "
             "33\n",
     "8:16: masking[0].keep_last", "from 1 to 32"},
    {"masking rule that selects nothing", kBase + "masking:\n  - name: m\n    strategy: redact\n",
     "5:5: masking[0]", "at least one of columns, detectors, pattern"},
    {"unknown masking_unknown", kBase + "masking_unknown: maybe\n", "4:18: masking_unknown",
     "unknown masking_unknown \"maybe\" (expected mask, deny)"},
    {"column glob without a table",
     kBase + "masking:\n  - name: m\n    columns: [email]\n    strategy: redact\n",
     "6:15: masking[0].columns[0]", "expected table.column, schema.table.column or *.column"},
    {"invalid RE2 pattern",
     kBase + "masking:\n  - name: m\n    pattern: \"(unclosed\"\n    strategy: redact\n",
     "6:14: masking[0].pattern", "invalid RE2 pattern"},
    {"empty pattern", kBase + "masking:\n  - name: m\n    pattern: \"\"\n    strategy: redact\n",
     "6:14: masking[0].pattern", "must not be empty"},
    {"results without recording", kBase + "recording:\n  include_results: true\n",
     "5:3: recording.include_results", "needs recording.enabled: true"},
    {"duplicate key", "name: a\nname: b\nsubjects: {groups: [g]}\nconnections: [c]\n", "2:1: name",
     "duplicate key (first given at line 1)"},
    {"non-string key", kBase + "? [a]\n: b\n", "4:3: document", "keys must be strings, got a list"},
    {"NUL byte in a string", "name: \"a\\0b\"\nsubjects: {groups: [g]}\nconnections: [c]\n",
     "1:7: name", "contains a NUL byte"},
    {"self-referencing alias", "name: p\nsubjects: {groups: [g]}\nconnections: &x [*x]\n",
     "3:14: connections[0]", "expected a string, got a list"},
    {"document is a list", "- a\n- b\n", "1:1: document", "expected a mapping, got a list"},
    {"document is a scalar", "hello\n", "1:1: document", "expected a mapping, got the scalar"},
    {"empty document", "", "1:1: document", "is empty"},
    {"comments only", "# nothing here\n", "1:1: document", "is empty"},
    {"null document", "~\n", "1:1: document", "is empty"},
    {"two documents", kBase + "---\n" + kBase, "4:1: document", "more than one YAML document"},
    // yaml-cpp 0.7's LoadAll loops forever (allocating) on a stray ',' (yaml-cpp#1040).
    {"stray comma", "# comment\n,d\n", "2:1: yaml", "unexpected \",\""},
    {"lone comma", ",", "1:1: yaml", "unexpected \",\""},
    {"nesting beyond yaml-cpp's limit", std::string(5000, '['), "1:1: yaml", "nested too deeply"},
    {"control byte quoted by yaml-cpp", std::string("name: \"\\\x01\"\n"), "1:10: yaml",
     "unknown escape character: \\x01"},
    {"YAML syntax error", "name: [p\n", "2:1: yaml", "end of sequence flow not found"},
    {"unterminated string", "name: \"p", "1:9: yaml", "illegal EOF in scalar"},
};

}  // namespace

TEST_CASE("invalid documents are rejected with file:line:column and field path", "[policy_yaml]") {
  STATIC_REQUIRE(std::size(kInvalidCases) >= 15);
  for (const InvalidCase& c : kInvalidCases) {
    INFO("case: " << c.what << "\n--- yaml ---\n" << c.yaml << "------------");
    const std::string error = ErrorOf(c.yaml);
    CHECK_THAT(error, Catch::StartsWith(std::string("p.yaml:") + c.where + ": "));
    CHECK_THAT(error, Catch::Contains(c.problem));
  }
}

TEST_CASE("input larger than 1 MiB is refused before parsing", "[policy_yaml]") {
  std::string big = kBase + "description: \"";
  big.append(warden::policy::kMaxPolicyYamlBytes, 'x');
  big += "\"\n";
  CHECK_THAT(ErrorOf(big), Catch::StartsWith("p.yaml:1:1: document: is ") &&
                               Catch::Contains("the limit is 1048576"));
  // Just under the limit is fine.
  std::string fits = kBase + "description: \"";
  fits.append(warden::policy::kMaxPolicyYamlBytes - fits.size() - 2, 'x');
  fits += "\"\n";
  CHECK(fits.size() == warden::policy::kMaxPolicyYamlBytes);
  CHECK(ErrorOf(fits) == "OK");
}

TEST_CASE("hostile input is an error, never a crash or an exception", "[policy_yaml]") {
  const std::string inputs[] = {
      std::string(5000, '['),
      std::string(5000, '{'),
      "a: &a [*a, *a, *a]\nb: *a\n",
      "*unknown_anchor\n",
      std::string("\xff\xfe\x00\x01garbage", 12),
      std::string("name: p\0\0\0", 10),
      "!!binary 12\n",
      "%YAML 9.9\n---\nname: p\n",
      kBase + "rules: &r\n  - *r\n",
      kBase + "masking:\n  - name: m\n    pattern: \"a{1000}{1000}{1000}\"\n    strategy: redact\n",
  };
  for (const std::string& input : inputs) {
    INFO(input.substr(0, 80));
    absl::StatusOr<Policy> p;
    CHECK_NOTHROW(p = ParsePolicyYaml(input, "p.yaml"));
    CHECK_FALSE(p.ok());
    CHECK_THAT(std::string(p.status().message()), Catch::StartsWith("p.yaml:"));
  }
}

TEST_CASE("the file name given is the one reported", "[policy_yaml]") {
  absl::StatusOr<Policy> p = ParsePolicyYaml("rulez: 1\n", "policies/team.yaml");
  REQUIRE_FALSE(p.ok());
  CHECK_THAT(std::string(p.status().message()),
             Catch::StartsWith("policies/team.yaml:1:1: rulez: "));
}

TEST_CASE("policy YAML: commands must be tags a statement can carry", "[policy][yaml]") {
  auto p = warden::policy::ParsePolicyYaml(
      "name: p\nsubjects: {groups: [g]}\nconnections: [c]\ndefault_action: allow\n"
      "rules:\n  - name: r\n    match: {commands: [DROP TABLE, truncate]}\n    action: deny\n",
      "p.yaml");
  REQUIRE_FALSE(p.ok());
  const std::string m(p.status().message());
  CHECK_THAT(m, Catch::Contains("p.yaml:7"));
  CHECK_THAT(m, Catch::Contains("unknown command \"TRUNCATE\""));
  CHECK_THAT(m, Catch::Contains("did you mean \"TRUNCATE TABLE\""));
  auto typo = warden::policy::ParsePolicyYaml(
      "name: p\nsubjects: {groups: [g]}\nconnections: [c]\ndefault_action: allow\n"
      "rules:\n  - name: r\n    match: {commands: [DROP TABEL]}\n    action: deny\n",
      "p.yaml");
  REQUIRE_FALSE(typo.ok());
  CHECK_THAT(std::string(typo.status().message()), Catch::Contains("\"DROP TABLE\""));
  CHECK(warden::policy::IsKnownCommandTag("SELECT INTO"));
  CHECK_FALSE(warden::policy::IsKnownCommandTag("TRUNCATE"));
}
