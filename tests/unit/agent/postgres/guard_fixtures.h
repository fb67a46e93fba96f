// The statement guard under a test policy, and helpers to read what it sends and answers.
#pragma once

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "agent/postgres/client_settings.h"
#include "agent/postgres/statement_guard.h"
#include "common/pgwire/pgwire.h"
#include "common/policy/policy_yaml.h"

namespace guard_fixtures {

using namespace warden;

inline constexpr char kPolicy[] = R"(
name: guard
subjects: {identities: [claude]}
connections: [demo]
default_action: allow
rules:
  - name: no-drop
    match: {commands: [DROP TABLE]}
    action: deny
    message: Dropping tables needs a ticket
  - name: hold-deletes
    match: {commands: [DELETE]}
    action: require_approval
)";

struct Fixture {
  Fixture() { Install(kPolicy, 1); }

  // Installs the policy `yaml` as snapshot `version` (each new snapshot has a higher one).
  std::shared_ptr<v1::PolicySnapshot> Install(const char* yaml, int64_t version) {
    auto p = policy::ParsePolicyYaml(yaml, "guard.yaml");
    REQUIRE(p.ok());
    auto snap = std::make_shared<v1::PolicySnapshot>();
    snap->set_version(version);
    *snap->add_policies() = *p;
    holder.Install(snap);
    return snap;
  }
  agent::PolicyHolder holder;
  sql::ClassifierCache cache;
  agent::DecisionCounters decisions;
  agent::StatementGuard guard{holder, cache, policy::Subject{"claude", {}, "demo"}, "ses_test",
                              &decisions};

  // Every decision counted, as "policy/rule/action=count" rows in the snapshot's order.
  std::vector<std::string> Counted() const {
    std::vector<std::string> rows;
    v1::AgentStats snapshot = decisions.Snapshot();
    for (const auto& d : snapshot.decisions()) {
      rows.push_back(d.policy() + "/" + d.rule() + "/" + v1::Action_Name(d.action()) + "=" +
                     std::to_string(d.count()));
    }
    return rows;
  }

  std::string Front(const std::string& in) {
    std::string out;
    auto st = guard.Frontend(in, &out);
    INFO(st.ToString());
    REQUIRE(st.ok());
    return out;
  }
  // In order: first `a`, then `b` (the operands of + are not sequenced).
  std::string FrontSplit(const std::string& a, const std::string& b) {
    std::string first = Front(a);
    return first + Front(b);
  }
  std::string BackSplit(const std::string& a, const std::string& b) {
    std::string first = Back(a);
    return first + Back(b);
  }
  std::string Back(const std::string& in) {
    std::string out;
    REQUIRE(guard.Backend(in, &out).ok());
    return out;
  }
};

// The marker type name in a replaced statement: what the server's error will name.
inline std::string MarkerOf(const std::string& replaced_sql) {
  auto start = replaced_sql.find('"');
  return replaced_sql.substr(start + 1, replaced_sql.rfind('"') - start - 1);
}

inline std::string ServerErrorFor(const std::string& marker) {
  return pgwire::BuildErrorResponse("ERROR", "42704", "type \"" + marker + "\" does not exist");
}

// The client's message for a denied simple Query: the error the guard puts in its place.
inline std::string DenialFor(Fixture& f, const std::string& query_out) {
  auto r = pgwire::DecodeFrontend(query_out);
  REQUIRE(r.has_message());
  auto* q = std::get_if<pgwire::Query>(&r.message());
  REQUIRE(q);
  auto e = pgwire::DecodeBackend(f.Back(ServerErrorFor(MarkerOf(std::string(q->sql)))));
  auto* err = std::get_if<pgwire::ErrorResponse>(&e.message());
  REQUIRE(err);
  CHECK(err->sqlstate() == "42501");
  return std::string(err->message());
}

}  // namespace guard_fixtures
