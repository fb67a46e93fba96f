// The shipped example policies (deploy/policies) and evasions expressed as classified
// statements, through the evaluator.
#include "common/sql/classify/classifier.h"
#include "tests/unit/common/policy/evaluator_fixtures.h"

using namespace evaluator_fixtures;

TEST_CASE("guardrails: reads are allowed", "[evaluator]") {
  Decision d =
      Evaluate(Guardrails(), Agent(), Batch({Stmt("SELECT", kRead).Reads("public.customers")}));
  CHECK(d.action == kAllow);
  CHECK(d.policy == "agents-guardrails");
  CHECK(d.rule == "allow-reads");
  CHECK(d.message.empty());
  CHECK(d.statement_index == 0);
}

TEST_CASE("guardrails: DROP TABLE is denied with the rule's message", "[evaluator]") {
  Decision d =
      Evaluate(Guardrails(), Agent(), Batch({Stmt("DROP TABLE", kDdl).Writes("customers")}));
  CHECK(d.action == kDeny);
  CHECK(d.rule == "no-drop-or-truncate");
  CHECK(d.message ==
        "denied by policy \"agents-guardrails\" rule \"no-drop-or-truncate\": Agents may not "
        "drop or truncate; ask a DBA.");
}

TEST_CASE("guardrails: deny beats require_approval for DDL", "[evaluator]") {
  // DROP SCHEMA is DDL (ddl-needs-approval matches) and is listed in no-drop-or-truncate.
  Decision d = Evaluate(Guardrails(), Agent(), Batch({Stmt("DROP SCHEMA", kDdl)}));
  CHECK(d.action == kDeny);
  CHECK(d.rule == "no-drop-or-truncate");
}

TEST_CASE("guardrails: other DDL requires approval", "[evaluator]") {
  Decision d = Evaluate(Guardrails(), Agent(), Batch({Stmt("ALTER TABLE", kDdl).Writes("orders")}));
  CHECK(d.action == kApproval);
  CHECK(d.rule == "ddl-needs-approval");
  CHECK(d.message ==
        "requires approval (policy \"agents-guardrails\" rule \"ddl-needs-approval\"): Schema "
        "changes are reviewed by a DBA.");
}

TEST_CASE("guardrails: DELETE without WHERE is denied, with WHERE falls to default",
          "[evaluator]") {
  Decision unbounded =
      Evaluate(Guardrails(), Agent(), Batch({Stmt("DELETE", kWrite).Writes("orders").NoWhere()}));
  CHECK(unbounded.action == kDeny);
  CHECK(unbounded.rule == "no-unbounded-delete");

  Decision bounded =
      Evaluate(Guardrails(), Agent(), Batch({Stmt("DELETE", kWrite).Writes("orders")}));
  CHECK(bounded.action == kDeny);
  CHECK(bounded.rule == "default");
  CHECK(bounded.message ==
        "denied by policy \"agents-guardrails\" rule \"default\": no rule allows this statement "
        "and the default is deny");
}

TEST_CASE("guardrails: UPDATE of billing with WHERE needs approval, without WHERE is denied",
          "[evaluator]") {
  Decision with_where =
      Evaluate(Guardrails(), Agent(), Batch({Stmt("UPDATE", kWrite).Writes("billing.invoices")}));
  CHECK(with_where.action == kApproval);
  CHECK(with_where.rule == "billing-writes-need-approval");

  Decision no_where = Evaluate(
      Guardrails(), Agent(), Batch({Stmt("UPDATE", kWrite).Writes("billing.invoices").NoWhere()}));
  CHECK(no_where.action == kDeny);
  CHECK(no_where.rule == "no-unbounded-delete");
}

TEST_CASE("guardrails: a billing relation only read by a write still matches", "[evaluator]") {
  // INSERT INTO public.audit SELECT * FROM billing.invoices: the write class and a billing
  // relation (read) are both present, so the rule applies.
  Decision d =
      Evaluate(Guardrails(), Agent(),
               Batch({Stmt("INSERT", kWrite).Writes("public.audit").Reads("billing.invoices")}));
  CHECK(d.action == kApproval);
  CHECK(d.rule == "billing-writes-need-approval");
}

TEST_CASE("guardrails: TCL is allowed, DCL falls to the deny default", "[evaluator]") {
  CHECK(Evaluate(Guardrails(), Agent(), Batch({Stmt("BEGIN", kTcl)})).action == kAllow);
  Decision grant = Evaluate(Guardrails(), Agent(), Batch({Stmt("GRANT", kDcl)}));
  CHECK(grant.action == kDeny);
  CHECK(grant.rule == "default");
}

TEST_CASE("guardrails plus demo-access: rules of one, default of the other", "[evaluator]") {
  v1::PolicySnapshot snap = Snap({Example("demo-access.yaml"), Example("agents-guardrails.yaml")});
  Subject s = Member("ai-agents");
  // No rule matches an INSERT outside billing: defaults allow (demo-access) and deny
  // (guardrails) -> deny, named by guardrails.
  Decision insert = Evaluate(snap, s, Batch({Stmt("INSERT", kWrite).Writes("orders")}));
  CHECK(insert.action == kDeny);
  CHECK(insert.policy == "agents-guardrails");
  CHECK(insert.rule == "default");
  // A matching allow rule overrides every default.
  CHECK(Evaluate(snap, s, Batch({Stmt("SELECT", kRead)})).action == kAllow);
  CHECK(Evaluate(snap, s, Batch({Stmt("TRUNCATE TABLE", kWrite)})).action == kDeny);
  CHECK(Evaluate(snap, s, Batch({Stmt("TRUNCATE TABLE", kWrite)})).rule == "no-drop-or-truncate");
}

// ---------------------------------------------------------------------------- precedence

TEST_CASE("evasion: data-modifying CTE inside a SELECT", "[evaluator]") {
  // The classifier reports the write class, the billing relation, the missing WHERE and the
  // DELETE nested under the SELECT tag.
  const ClassifiedBatch cte =
      warden::sql::Classify("WITH gone AS (DELETE FROM billing.invoices RETURNING *) SELECT 1");
  REQUIRE(cte.statements.size() == 1);
  CHECK(cte.statements[0].command_tag == "SELECT");
  CHECK(cte.statements[0].commands == std::vector<std::string>{"DELETE", "SELECT"});
  Decision d = Evaluate(Snap({kFlagGuard}), Agent(), cte);
  CHECK(d.action == kDeny);
  CHECK(d.rule == "no-unbounded");
  // The shipped guardrails' DELETE/UPDATE rule sees the nested DELETE.
  Decision g = Evaluate(Guardrails(), Agent(), cte);
  CHECK(g.action == kDeny);
  CHECK(g.rule == "no-unbounded-delete");
}

TEST_CASE("evasion: EXPLAIN ANALYZE of a delete", "[evaluator]") {
  // EXPLAIN ANALYZE runs the statement: the classifier reports the inner write and command.
  const ClassifiedBatch explain = warden::sql::Classify("EXPLAIN ANALYZE DELETE FROM orders");
  CHECK(Evaluate(Snap({kFlagGuard}), Agent(), explain).rule == "no-unbounded");
  Decision g = Evaluate(Guardrails(), Agent(), explain);
  CHECK(g.action == kDeny);
  CHECK(g.rule == "no-unbounded-delete");
  // Plain EXPLAIN only plans it: a read.
  CHECK(Evaluate(Guardrails(), Agent(), warden::sql::Classify("EXPLAIN DELETE FROM orders")).rule ==
        "allow-reads");
}

TEST_CASE("evasion: tags are compared exactly, and a mis-cased tag still fails closed",
          "[evaluator]") {
  // "dRoP /* x */ TaBlE customers": the classifier normalizes the tag; the evaluator compares
  // exactly, so a lower-case tag (a classifier bug) would not be matched: this test pins that
  // the evaluator relies on the classifier's upper-case tags.
  CHECK(Evaluate(Guardrails(), Agent(), Batch({Stmt("DROP TABLE", kDdl)})).action == kDeny);
  // And a lower-case tag still fails closed through class ddl -> approval, never allow.
  CHECK(Evaluate(Guardrails(), Agent(), Batch({Stmt("drop table", kDdl)})).action == kApproval);
}

TEST_CASE("evasion: quoting a schema does not escape a billing rule", "[evaluator]") {
  // UPDATE "billing"."invoices" ... is reported lower case and schema-qualified.
  CHECK(Evaluate(Guardrails(), Agent(), Batch({Stmt("UPDATE", kWrite).Writes("billing.invoices")}))
            .action == kApproval);
  // A database-qualified name too: UPDATE demo.billing.invoices ...
  CHECK(Evaluate(Guardrails(), Agent(),
                 Batch({Stmt("UPDATE", kWrite).Writes("demo.billing.invoices")}))
            .action == kApproval);
}

TEST_CASE("evasion: DROP hidden in the second statement after a comment", "[evaluator]") {
  // "SELECT 1 -- ;\n; DROP TABLE users": two statements.
  Decision d = Evaluate(Snap({Example("readonly-analysts.yaml")}), Member("analysts", "demo"),
                        Batch({Stmt("SELECT", kRead), Stmt("DROP TABLE", kDdl).Writes("users")}));
  CHECK(d.action == kDeny);
  CHECK(d.rule == "read-only");
  CHECK(d.statement_index == 1);
}
