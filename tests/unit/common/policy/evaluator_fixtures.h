// Shared by the policy evaluator tests: policies from YAML, classified statements and
// decisions built in a line each.
#pragma once

#include <catch2/catch.hpp>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <string>
#include <vector>

#include "common/policy/evaluator.h"
#include "common/policy/policy_yaml.h"

namespace evaluator_fixtures {

using warden::policy::ApplicablePolicies;
using warden::policy::Decision;
using warden::policy::Evaluate;
using warden::policy::ParsePolicyYaml;
using warden::policy::Subject;
using warden::sql::ClassifiedBatch;
using warden::sql::ClassifiedStatement;
namespace v1 = warden::v1;

constexpr v1::Action kAllow = v1::ACTION_ALLOW;
constexpr v1::Action kDeny = v1::ACTION_DENY;
constexpr v1::Action kApproval = v1::ACTION_REQUIRE_APPROVAL;

constexpr v1::StatementClass kRead = v1::STATEMENT_CLASS_READ;
constexpr v1::StatementClass kWrite = v1::STATEMENT_CLASS_WRITE;
constexpr v1::StatementClass kDdl = v1::STATEMENT_CLASS_DDL;
constexpr v1::StatementClass kDcl = v1::STATEMENT_CLASS_DCL;
constexpr v1::StatementClass kTcl = v1::STATEMENT_CLASS_TCL;
constexpr v1::StatementClass kAdmin = v1::STATEMENT_CLASS_ADMIN;
constexpr v1::StatementClass kOpaque = v1::STATEMENT_CLASS_OPAQUE;

inline v1::Policy Parse(const std::string& yaml) {
  absl::StatusOr<v1::Policy> p = ParsePolicyYaml(yaml, "test.yaml");
  INFO(p.status().ToString());
  REQUIRE(p.ok());
  return *std::move(p);
}

inline v1::PolicySnapshot Snap(std::initializer_list<std::string> yamls) {
  v1::PolicySnapshot s;
  s.set_version(1);
  for (const std::string& y : yamls) *s.add_policies() = Parse(y);
  return s;
}

inline std::string Example(const std::string& file) {
  std::ifstream in(std::string(WARDEN_SOURCE_DIR) + "/deploy/policies/" + file);
  REQUIRE(in.good());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Builder for what the classifier would say about one statement.
struct Stmt {
  ClassifiedStatement s;
  Stmt(std::string tag, v1::StatementClass c) {
    s.command_tag = std::move(tag);
    s.statement_class = c;
  }
  Stmt& Reads(std::string r) {
    s.relations_read.push_back(std::move(r));
    return *this;
  }
  Stmt& Writes(std::string r) {
    s.relations_written.push_back(std::move(r));
    return *this;
  }
  Stmt& Calls(std::string f) {
    s.functions.push_back(std::move(f));
    return *this;
  }
  Stmt& NoWhere() {
    s.without_where = true;
    return *this;
  }
  Stmt& Opaque() {
    s.opaque = true;
    return *this;
  }
  operator ClassifiedStatement() const { return s; }
};

inline ClassifiedBatch Batch(std::initializer_list<ClassifiedStatement> stmts) {
  ClassifiedBatch b;
  b.parsed = true;
  b.statements = stmts;
  return b;
}

inline ClassifiedBatch Unparsed() {
  ClassifiedBatch b;
  b.parsed = false;
  b.parse_error = "syntax error at or near \"SELEC\" (position 1)";
  return b;
}

inline Subject Agent(std::string connection = "demo") { return {"claude-agent", {}, connection}; }
inline Subject Member(std::string group, std::string connection = "demo") {
  return {"someone", {std::move(group)}, std::move(connection)};
}

// The shipped guardrails for agents, plus the demo grant the quickstart installs beside it.
inline v1::PolicySnapshot Guardrails() { return Snap({Example("agents-guardrails.yaml")}); }

inline const char* kMinimal = R"(
name: p
subjects: {identities: [claude-agent]}
connections: [demo]
)";

inline const char* kFlagGuard = R"(
name: flag-guard
subjects: {identities: [claude-agent]}
connections: [demo]
default_action: allow
rules:
  - {name: no-unbounded, match: {without_where: true}, action: deny}
  - {name: billing-writes, match: {classes: [write], relations: ["billing.*"]}, action: deny}
)";

}  // namespace evaluator_fixtures
