// The protocol-neutral decision on one statement (statement_decider.h): verdict values from a
// policy snapshot and what an adapter reports of its session, no wire bytes involved.
#include "agent/enforcement/statement_decider.h"

#include <catch2/catch.hpp>
#include <memory>
#include <optional>
#include <string>

#include "common/policy/policy_yaml.h"

using namespace warden;
using agent::HoldRelease;
using agent::Verdict;

namespace {

constexpr char kPolicy[] = R"(
name: edge
subjects: {identities: [claude]}
connections: [demo]
default_action: allow
rules:
  - {name: no-drop, match: {commands: [DROP TABLE]}, action: deny, message: ask a DBA}
  - {name: hold-deletes, match: {commands: [DELETE]}, action: require_approval}
)";

// Each snapshot the agent gets has a higher version than the last.
std::shared_ptr<v1::PolicySnapshot> Snapshot(const char* yaml) {
  static int64_t version = 0;
  auto p = policy::ParsePolicyYaml(yaml, "edge.yaml");
  REQUIRE(p.ok());
  auto snap = std::make_shared<v1::PolicySnapshot>();
  snap->set_version(++version);
  *snap->add_policies() = *p;
  return snap;
}

// An adapter's view of a session with no prepared statements, no function catalog read yet.
struct Session : agent::SessionView {
  std::shared_ptr<const sql::ClassifiedBatch> Classify(std::string_view sql) override {
    ++classified;
    return cache.Get(sql);
  }
  agent::ProtocolRefusal ProtocolProblem(std::string_view, const sql::ClassifiedBatch&) override {
    return refusal;
  }
  const agent::FunctionCatalog* functions() const override { return nullptr; }
  bool functions_stale() const override { return true; }

  sql::ClassifierCache cache;
  agent::ProtocolRefusal refusal;
  int classified = 0;
};

struct World {
  Session session;
  agent::DecisionCounters counters;
  agent::StatementDecider decider{policy::Subject{"claude", {}, "demo"}, "ses_d", session.cache,
                                  &counters};
  std::shared_ptr<v1::PolicySnapshot> snapshot = Snapshot(kPolicy);

  Verdict Decide(std::string_view sql, std::optional<HoldRelease>* release = nullptr) {
    return decider.Decide(sql, snapshot, session, release);
  }
};

}  // namespace

TEST_CASE("decider: allow, deny with the rule's message, and require_approval", "[decider]") {
  World w;
  Verdict v = w.Decide("SELECT 1");
  CHECK(v.kind == Verdict::Kind::kAllow);
  REQUIRE(v.batch);
  CHECK(v.batch->parsed);

  v = w.Decide("DROP TABLE customers");
  CHECK(v.kind == Verdict::Kind::kDeny);
  CHECK(v.decision.rule == "no-drop");
  CHECK(v.sqlstate == "42501");
  CHECK_THAT(v.denial, Catch::Contains("ask a DBA"));

  // Without holds the statement is refused, saying why.
  v = w.Decide("DELETE FROM orders WHERE id = 1");
  CHECK(v.kind == Verdict::Kind::kDeny);
  CHECK_THAT(v.denial, Catch::Contains("this agent cannot ask for approvals"));
  // With holds it is held, naming the rule it waits on.
  w.decider.set_holds_enabled(true);
  v = w.Decide("DELETE FROM orders WHERE id = 1");
  CHECK(v.kind == Verdict::Kind::kHold);
  CHECK(v.decision.rule == "hold-deletes");
  CHECK(v.decision.policy == "edge");
  CHECK(w.decider.counters().allowed == 1);
  CHECK(w.decider.counters().denied == 3);
}

TEST_CASE("decider: a releaser decides a held statement, unless the policy now denies it",
          "[decider]") {
  World w;
  w.decider.set_holds_enabled(true);
  std::optional<HoldRelease> release = HoldRelease::Forward();
  Verdict v = w.Decide("DELETE FROM orders WHERE id = 1", &release);
  CHECK(v.kind == Verdict::Kind::kAllow);
  CHECK_FALSE(release.has_value());  // consumed

  release = HoldRelease::Refuse("42501", "denied by alice: not today");
  v = w.Decide("DELETE FROM orders WHERE id = 1", &release);
  CHECK(v.kind == Verdict::Kind::kDeny);
  CHECK(v.denial == "denied by alice: not today");

  release = HoldRelease::Forward();
  v = w.Decide("DROP TABLE customers", &release);
  CHECK(v.kind == Verdict::Kind::kDeny);
  CHECK(v.decision.rule == "no-drop");
  CHECK_FALSE(release.has_value());
}

TEST_CASE("decider: refusals that come before the policy", "[decider]") {
  World w;
  // Too long: refused without being parsed.
  w.decider.set_max_statement_bytes(64);
  Verdict v = w.Decide("SELECT '" + std::string(100, 'x') + "'");
  CHECK(v.kind == Verdict::Kind::kDeny);
  CHECK(v.decision.rule == "statement-size");
  CHECK(w.session.classified == 0);

  // The adapter's own refusal wins over an allowing policy.
  w.session.refusal = {"parser-settings", "denied by Warden rule \"parser-settings\": no"};
  v = w.Decide("SELECT 1");
  CHECK(v.kind == Verdict::Kind::kDeny);
  CHECK(v.decision.rule == "parser-settings");
  w.session.refusal = {};

  // No policy yet: nothing passes.
  v = w.decider.Decide("SELECT 1", nullptr, w.session);
  CHECK(v.kind == Verdict::Kind::kDeny);
  CHECK(v.decision.rule == "no-policy");
}

TEST_CASE("decider: an unknown function makes a read a write; masking refusals", "[decider]") {
  World w;
  w.snapshot = Snapshot(R"(
name: edge
subjects: {identities: [claude]}
connections: [demo]
default_action: allow
read_only: true
masking:
  - {name: emails, columns: ["*.email"], strategy: redact}
)");
  Verdict v = w.Decide("SELECT tally()");
  CHECK(v.kind == Verdict::Kind::kDeny);
  CHECK_THAT(v.denial, Catch::Contains("counts as a write"));
  CHECK(w.decider.MaskingPolicy(*w.snapshot) == "edge");

  // A masked subject may not put a computed value into a setting (read back raw); a literal
  // is fine.
  w.snapshot = Snapshot(R"(
name: masked
subjects: {identities: [claude]}
connections: [demo]
default_action: allow
masking:
  - {name: emails, columns: ["*.email"], strategy: redact}
)");
  v = w.Decide("SELECT set_config('application_name', email, false) FROM users");
  CHECK(v.kind == Verdict::Kind::kDeny);
  CHECK(v.decision.rule == "masked-values");
  CHECK(v.decision.policy == "masked");
  v = w.Decide("SET application_name = 'x'");
  CHECK(v.kind == Verdict::Kind::kAllow);
}
