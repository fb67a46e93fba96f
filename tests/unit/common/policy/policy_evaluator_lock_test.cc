// Tests for common/policy/evaluator: the read-only lock, opaque and unparsed statements, and
// decisions over a whole batch. Policies are written as YAML, as in policy_evaluator_test.cc.
#include "tests/unit/common/policy/evaluator_fixtures.h"

using namespace evaluator_fixtures;

TEST_CASE("read-only: reads pass, writes and DDL are denied whatever the rules say",
          "[evaluator]") {
  v1::PolicySnapshot snap = Snap({std::string(kMinimal) + R"(
default_action: allow
read_only: true
rules:
  - {name: allow-everything, action: allow}
)"});
  CHECK(Evaluate(snap, Agent(), Batch({Stmt("SELECT", kRead)})).action == kAllow);
  for (ClassifiedStatement s :
       {ClassifiedStatement(Stmt("INSERT", kWrite)),
        ClassifiedStatement(Stmt("CREATE TABLE", kDdl)), ClassifiedStatement(Stmt("GRANT", kDcl)),
        ClassifiedStatement(Stmt("VACUUM", kAdmin)), ClassifiedStatement(Stmt("SET", kAdmin))}) {
    Decision d = Evaluate(snap, Agent(), Batch({s}));
    CHECK(d.action == kDeny);
    CHECK(d.rule == "read-only");
    CHECK(d.policy == "p");
  }
  CHECK(Evaluate(snap, Agent(), Batch({Stmt("DELETE", kWrite)})).message ==
        "denied by policy \"p\" rule \"read-only\": read-only access: DELETE is not a read "
        "statement");
}

TEST_CASE("read-only: TCL and SHOW pass the lock", "[evaluator]") {
  v1::PolicySnapshot snap =
      Snap({std::string(kMinimal) + "default_action: allow\nread_only: true\n"});
  CHECK(Evaluate(snap, Agent(), Batch({Stmt("BEGIN", kTcl)})).action == kAllow);
  CHECK(Evaluate(snap, Agent(), Batch({Stmt("COMMIT", kTcl)})).action == kAllow);
  CHECK(Evaluate(snap, Agent(), Batch({Stmt("SHOW", kAdmin)})).action == kAllow);
}

TEST_CASE("read-only: the lock is not a grant", "[evaluator]") {
  // readonly-analysts has no TCL rule and default deny: BEGIN passes the lock, then the default
  // refuses it.
  v1::PolicySnapshot snap = Snap({Example("readonly-analysts.yaml")});
  Decision d = Evaluate(snap, Member("analysts", "warehouse"), Batch({Stmt("BEGIN", kTcl)}));
  CHECK(d.action == kDeny);
  CHECK(d.rule == "default");
}

TEST_CASE("read-only: one read_only policy locks the others' grants", "[evaluator]") {
  v1::PolicySnapshot snap =
      Snap({Example("dba-break-glass.yaml"), Example("readonly-analysts.yaml")});
  Subject both{"alice", {"dba", "analysts"}, "warehouse"};
  Decision d = Evaluate(snap, both, Batch({Stmt("UPDATE", kWrite).Writes("orders")}));
  CHECK(d.action == kDeny);
  CHECK(d.policy == "readonly-analysts");
  CHECK(d.rule == "read-only");
  // On a connection the analysts policy does not cover, the DBA grant stands.
  Subject elsewhere{"alice", {"dba", "analysts"}, "prod"};
  CHECK(Evaluate(snap, elsewhere, Batch({Stmt("UPDATE", kWrite)})).action == kAllow);
}

TEST_CASE("read-only: overrides require_approval, but a deny rule names the decision",
          "[evaluator]") {
  v1::PolicySnapshot snap = Snap({std::string(kMinimal) + R"(
read_only: true
rules:
  - {name: review-ddl, match: {classes: [ddl]}, action: require_approval}
  - {name: no-truncate, match: {commands: [TRUNCATE TABLE]}, action: deny, message: Never.}
)"});
  Decision ddl = Evaluate(snap, Agent(), Batch({Stmt("CREATE INDEX", kDdl)}));
  CHECK(ddl.action == kDeny);
  CHECK(ddl.rule == "read-only");
  Decision truncate = Evaluate(snap, Agent(), Batch({Stmt("TRUNCATE TABLE", kDdl)}));
  CHECK(truncate.action == kDeny);
  CHECK(truncate.rule == "no-truncate");
}

TEST_CASE("read-only: opaque code is denied even when classed as a read", "[evaluator]") {
  v1::PolicySnapshot snap = Snap({std::string(kMinimal) + R"(
default_action: allow
read_only: true
rules:
  - {name: allow-opaque, match: {classes: [opaque]}, action: allow}
)"});
  CHECK(Evaluate(snap, Agent(), Batch({Stmt("DO", kOpaque).Opaque()})).rule == "read-only");
  CHECK(Evaluate(snap, Agent(), Batch({Stmt("EXECUTE", kRead).Opaque()})).rule == "read-only");
}

// ---------------------------------------------------------------------------- opaque

TEST_CASE("opaque: falls to the default unless a rule names class opaque", "[evaluator]") {
  CHECK(Evaluate(Guardrails(), Agent(), Batch({Stmt("DO", kOpaque).Opaque()})).rule == "default");
  v1::PolicySnapshot snap = Snap({std::string(kMinimal) + R"(
rules:
  - {name: trusted-code, match: {classes: [opaque]}, action: allow}
)"});
  Decision d = Evaluate(snap, Agent(), Batch({Stmt("CALL", kOpaque).Opaque()}));
  CHECK(d.action == kAllow);
  CHECK(d.rule == "trusted-code");
}

TEST_CASE("opaque: a statement flagged opaque also matches class opaque", "[evaluator]") {
  // CREATE FUNCTION is DDL whose body the classifier cannot see: a deny on opaque catches it
  // even though an allow on ddl matches too.
  v1::PolicySnapshot snap = Snap({std::string(kMinimal) + R"(
rules:
  - {name: ddl-ok, match: {classes: [ddl]}, action: allow}
  - {name: no-opaque, match: {classes: [opaque]}, action: deny, message: No server-side code.}
)"});
  Decision d = Evaluate(snap, Agent(), Batch({Stmt("CREATE FUNCTION", kDdl).Opaque()}));
  CHECK(d.action == kDeny);
  CHECK(d.rule == "no-opaque");
  CHECK(Evaluate(snap, Agent(), Batch({Stmt("CREATE TABLE", kDdl)})).action == kAllow);
}

TEST_CASE("opaque: COPY TO PROGRAM denied by the guardrails default", "[evaluator]") {
  Decision d = Evaluate(Guardrails(), Agent(),
                        Batch({Stmt("COPY", kOpaque).Opaque().Reads("public.customers")}));
  CHECK(d.action == kDeny);
}

// ---------------------------------------------------------------------------- unparsed

TEST_CASE("unparsed: denied by default with the parse error", "[evaluator]") {
  Decision d = Evaluate(Guardrails(), Agent(), Unparsed());
  CHECK(d.action == kDeny);
  CHECK(d.rule == "unparsed");
  CHECK(d.policy == "agents-guardrails");
  CHECK(d.statement_index == -1);
  CHECK(d.message ==
        "denied by policy \"agents-guardrails\" rule \"unparsed\": the statement could not be "
        "parsed: syntax error at or near \"SELEC\" (position 1)");
}

TEST_CASE("unparsed: forwarded only when every applicable policy forwards", "[evaluator]") {
  v1::PolicySnapshot snap = Snap({Example("dba-break-glass.yaml"), Example("demo-access.yaml")});
  Decision dba = Evaluate(snap, Member("dba"), Unparsed());
  CHECK(dba.action == kAllow);
  CHECK(dba.policy == "dba-break-glass");
  CHECK(dba.rule == "default");
  CHECK(dba.statement_index == -1);

  // In both groups on demo: demo-access does not forward unparsed text, so it is refused.
  Decision both = Evaluate(snap, Subject{"bob", {"dba", "ai-agents"}, "demo"}, Unparsed());
  CHECK(both.action == kDeny);
  CHECK(both.rule == "unparsed");
  CHECK(both.policy == "demo-access");
}

TEST_CASE("unparsed: forwarded text still meets rules, read-only and defaults", "[evaluator]") {
  std::string base = std::string(kMinimal) + "forward_unparsed: true\n";
  // A catch-all deny rule still applies.
  v1::PolicySnapshot freeze =
      Snap({base + "default_action: allow\nrules:\n  - {name: freeze, action: deny}\n"});
  CHECK(Evaluate(freeze, Agent(), Unparsed()).rule == "freeze");
  // Class unknown can be sent for approval.
  v1::PolicySnapshot review = Snap({base + R"(
default_action: allow
rules:
  - {name: review-unknown, match: {classes: [unknown]}, action: require_approval}
)"});
  CHECK(Evaluate(review, Agent(), Unparsed()).action == kApproval);
  // Read-only refuses it.
  v1::PolicySnapshot ro = Snap({base + "default_action: allow\nread_only: true\n"});
  CHECK(Evaluate(ro, Agent(), Unparsed()).rule == "read-only");
  // A deny default refuses it.
  CHECK(Evaluate(Snap({base}), Agent(), Unparsed()).rule == "default");
}

// ---------------------------------------------------------------------------- batches

TEST_CASE("batch: an empty parsed batch is allowed", "[evaluator]") {
  Decision d = Evaluate(Guardrails(), Agent(), Batch({}));
  CHECK(d.action == kAllow);
  CHECK(d.rule == "empty");
  CHECK(d.statement_index == -1);
}

TEST_CASE("batch: one bad statement denies the whole batch", "[evaluator]") {
  // SELECT 1; /* harmless */ DROP TABLE customers -- the classifier gives two statements.
  Decision d =
      Evaluate(Guardrails(), Agent(),
               Batch({Stmt("SELECT", kRead), Stmt("DROP TABLE", kDdl).Writes("customers")}));
  CHECK(d.action == kDeny);
  CHECK(d.rule == "no-drop-or-truncate");
  CHECK(d.statement_index == 1);
}

TEST_CASE("batch: deny beats an earlier approval; earliest statement among equals", "[evaluator]") {
  Decision d = Evaluate(Guardrails(), Agent(),
                        Batch({Stmt("BEGIN", kTcl), Stmt("CREATE TABLE", kDdl),
                               Stmt("DELETE", kWrite).Writes("orders").NoWhere(),
                               Stmt("TRUNCATE", kDdl), Stmt("COMMIT", kTcl)}));
  CHECK(d.action == kDeny);
  CHECK(d.statement_index == 2);
  CHECK(d.rule == "no-unbounded-delete");
}

TEST_CASE("batch: approval beats allow", "[evaluator]") {
  Decision d = Evaluate(Guardrails(), Agent(),
                        Batch({Stmt("BEGIN", kTcl), Stmt("SELECT", kRead),
                               Stmt("INSERT", kWrite).Writes("billing.payments"),
                               Stmt("CREATE INDEX", kDdl), Stmt("COMMIT", kTcl)}));
  CHECK(d.action == kApproval);
  CHECK(d.statement_index == 2);
  CHECK(d.rule == "billing-writes-need-approval");
}

TEST_CASE("batch: all allowed names the first statement", "[evaluator]") {
  Decision d = Evaluate(Guardrails(), Agent(),
                        Batch({Stmt("BEGIN", kTcl), Stmt("SELECT", kRead), Stmt("COMMIT", kTcl)}));
  CHECK(d.action == kAllow);
  CHECK(d.statement_index == 0);
  CHECK(d.rule == "allow-transactions");
}

// ---------------------------------------------------------------------------- evasions

// A rule on a command sees it wherever the statement runs it: ClassifiedStatement::commands
// holds the top-level tag and the nested data changes (a DELETE inside a CTE or under EXPLAIN
// ANALYZE, a prepared statement's body).
