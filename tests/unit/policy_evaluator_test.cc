// Tests for common/policy/evaluator and glob: applicable policies, rule matching, precedence,
// defaults, read-only, opaque and unparsed statements, whole-batch decisions and evasions
// expressed as classified statements. Policies are written as YAML (and the examples under
// deploy/policies are used as they ship) so each case reads like the policy it tests.
#include "tests/unit/evaluator_fixtures.h"

using namespace evaluator_fixtures;

TEST_CASE("applicable: identity, group and connection scoping", "[evaluator]") {
  v1::PolicySnapshot snap =
      Snap({Example("agents-guardrails.yaml"), Example("dba-break-glass.yaml"),
            Example("demo-access.yaml"), Example("readonly-analysts.yaml")});
  auto names = [&](const Subject& s) {
    std::vector<std::string> out;
    for (const v1::Policy* p : ApplicablePolicies(snap, s)) out.push_back(p->name());
    return out;
  };
  using V = std::vector<std::string>;
  CHECK(names(Agent()) == V{"agents-guardrails"});
  CHECK(names(Member("ai-agents")) == V{"agents-guardrails", "demo-access"});
  CHECK(names(Member("ai-agents", "warehouse")).empty());
  CHECK(names(Member("dba", "anything")) == V{"dba-break-glass"});
  CHECK(names(Member("analysts", "warehouse")) == V{"readonly-analysts"});
  CHECK(names(Member("analysts", "demo")) == V{"readonly-analysts"});
  CHECK(names(Subject{"alice", {"analysts", "dba"}, "demo"}) ==
        V{"dba-break-glass", "readonly-analysts"});
  // Names are exact: no case folding, no prefixes; an identity is not a group.
  CHECK(names(Member("AI-agents")).empty());
  CHECK(names(Member("ai")).empty());
  CHECK(names(Subject{"ai-agents", {}, "demo"}).empty());
  CHECK(names(Subject{"claude-agent", {}, "Demo"}).empty());
}

TEST_CASE("applicable: empty identity or group never matches", "[evaluator]") {
  v1::PolicySnapshot snap = Snap({kMinimal});
  CHECK(ApplicablePolicies(snap, Subject{"", {""}, "demo"}).empty());
}

TEST_CASE("no applicable policy denies with rule no-policy", "[evaluator]") {
  Decision d = Evaluate(Guardrails(), Member("interns"), Batch({Stmt("SELECT", kRead)}));
  CHECK(d.action == kDeny);
  CHECK(d.rule == "no-policy");
  CHECK(d.policy.empty());
  CHECK(d.statement_index == -1);
  CHECK(d.message ==
        "denied by rule \"no-policy\": no policy gives identity \"someone\" access to "
        "connection \"demo\"");
}

TEST_CASE("empty snapshot denies everything, even an empty batch", "[evaluator]") {
  v1::PolicySnapshot empty;
  CHECK(Evaluate(empty, Agent(), Batch({})).rule == "no-policy");
  CHECK(Evaluate(empty, Agent(), Unparsed()).rule == "no-policy");
}

TEST_CASE("a policy for another connection does not apply", "[evaluator]") {
  Decision d = Evaluate(Guardrails(), Agent("prod"), Batch({Stmt("SELECT", kRead)}));
  CHECK(d.action == kDeny);
  CHECK(d.rule == "no-policy");
}

TEST_CASE("group subject gets the same rules as the named identity", "[evaluator]") {
  auto batch = Batch({Stmt("TRUNCATE TABLE", kWrite).Writes("orders")});
  Decision by_identity = Evaluate(Guardrails(), Agent(), batch);
  Decision by_group = Evaluate(Guardrails(), Member("ai-agents"), batch);
  CHECK(by_identity.action == kDeny);
  CHECK(by_group.action == kDeny);
  CHECK(by_identity.rule == "no-drop-or-truncate");
  CHECK(by_group.rule == "no-drop-or-truncate");
}

// ---------------------------------------------------------------------------- the guardrails

TEST_CASE("precedence: deny in a later policy beats allow in an earlier one", "[evaluator]") {
  v1::PolicySnapshot snap = Snap({R"(
name: a-allow
subjects: {groups: [dev]}
connections: ["*"]
rules:
  - {name: allow-all, action: allow}
)",
                                  R"(
name: b-deny
subjects: {groups: [dev]}
connections: [prod]
rules:
  - {name: no-writes, match: {classes: [write]}, action: deny, message: Prod is read-only.}
)"});
  Decision prod = Evaluate(snap, Member("dev", "prod"), Batch({Stmt("INSERT", kWrite)}));
  CHECK(prod.action == kDeny);
  CHECK(prod.policy == "b-deny");
  CHECK(prod.rule == "no-writes");
  Decision staging = Evaluate(snap, Member("dev", "staging"), Batch({Stmt("INSERT", kWrite)}));
  CHECK(staging.action == kAllow);
  CHECK(staging.policy == "a-allow");
}

TEST_CASE("precedence: require_approval beats allow regardless of order", "[evaluator]") {
  v1::PolicySnapshot snap = Snap({std::string(kMinimal) + R"(
rules:
  - {name: allow-writes, match: {classes: [write]}, action: allow}
  - {name: review-orders, match: {relations: [orders]}, action: require_approval}
)"});
  Decision d = Evaluate(snap, Agent(), Batch({Stmt("UPDATE", kWrite).Writes("public.orders")}));
  CHECK(d.action == kApproval);
  CHECK(d.rule == "review-orders");
  CHECK(Evaluate(snap, Agent(), Batch({Stmt("UPDATE", kWrite).Writes("items")})).action == kAllow);
}

TEST_CASE("precedence: first matching rule names the decision at its level", "[evaluator]") {
  v1::PolicySnapshot snap = Snap({std::string(kMinimal) + R"(
rules:
  - {name: first-deny, match: {commands: [DROP TABLE]}, action: deny}
  - {name: second-deny, match: {classes: [ddl]}, action: deny}
)"});
  Decision d = Evaluate(snap, Agent(), Batch({Stmt("DROP TABLE", kDdl)}));
  CHECK(d.rule == "first-deny");
  CHECK(d.message == "denied by policy \"p\" rule \"first-deny\": this statement is not allowed");
  CHECK(Evaluate(snap, Agent(), Batch({Stmt("CREATE TABLE", kDdl)})).rule == "second-deny");
}

TEST_CASE("precedence: policies are taken in name order, not snapshot order", "[evaluator]") {
  const char* z = R"(
name: zz
subjects: {groups: [dev]}
connections: [demo]
rules:
  - {name: z-deny, match: {classes: [ddl]}, action: deny}
)";
  const char* a = R"(
name: aa
subjects: {groups: [dev]}
connections: [demo]
rules:
  - {name: a-deny, match: {classes: [ddl]}, action: deny}
)";
  CHECK(Evaluate(Snap({z, a}), Member("dev"), Batch({Stmt("CREATE TABLE", kDdl)})).rule ==
        "a-deny");
  CHECK(Evaluate(Snap({a, z}), Member("dev"), Batch({Stmt("CREATE TABLE", kDdl)})).rule ==
        "a-deny");
}

TEST_CASE("approval without a rule message gets a generic explanation", "[evaluator]") {
  v1::PolicySnapshot snap = Snap({std::string(kMinimal) + R"(
rules:
  - {name: review, match: {classes: [write]}, action: require_approval}
)"});
  Decision d = Evaluate(snap, Agent(), Batch({Stmt("INSERT", kWrite)}));
  CHECK(d.message ==
        "requires approval (policy \"p\" rule \"review\"): this statement needs an approver");
}

// ---------------------------------------------------------------------------- defaults

TEST_CASE("defaults: missing default_action is deny", "[evaluator]") {
  Decision d = Evaluate(Snap({kMinimal}), Agent(), Batch({Stmt("SELECT", kRead)}));
  CHECK(d.action == kDeny);
  CHECK(d.rule == "default");
  CHECK(d.policy == "p");
}

TEST_CASE("defaults: UNSPECIFIED default (not from YAML) counts as deny", "[evaluator]") {
  v1::PolicySnapshot snap = Snap({std::string(kMinimal) + "default_action: allow\n"});
  snap.mutable_policies(0)->set_default_action(v1::ACTION_UNSPECIFIED);
  CHECK(Evaluate(snap, Agent(), Batch({Stmt("SELECT", kRead)})).action == kDeny);
}

TEST_CASE("defaults: most restrictive default among applicable policies", "[evaluator]") {
  auto policy = [](const std::string& name, const std::string& action) {
    return "name: " + name +
           "\nsubjects: {groups: [g]}\nconnections: [demo]\ndefault_action: " + action + "\n";
  };
  Subject s = Member("g");
  auto batch = Batch({Stmt("INSERT", kWrite)});
  CHECK(Evaluate(Snap({policy("a", "allow")}), s, batch).action == kAllow);
  Decision d = Evaluate(Snap({policy("a", "allow"), policy("b", "require_approval")}), s, batch);
  CHECK(d.action == kApproval);
  CHECK(d.policy == "b");
  CHECK(d.rule == "default");
  CHECK(d.message ==
        "requires approval (policy \"b\" rule \"default\"): no rule matches this statement and "
        "the default is require_approval");
  d = Evaluate(Snap({policy("c", "deny"), policy("a", "allow"), policy("b", "require_approval")}),
               s, batch);
  CHECK(d.action == kDeny);
  CHECK(d.policy == "c");
}

TEST_CASE("defaults: any matching rule, even an allow, replaces all defaults", "[evaluator]") {
  v1::PolicySnapshot snap = Snap({R"(
name: a
subjects: {groups: [g]}
connections: [demo]
default_action: deny
)",
                                  R"(
name: b
subjects: {groups: [g]}
connections: [demo]
default_action: deny
rules:
  - {name: reads, match: {classes: [read]}, action: allow}
)"});
  Decision d = Evaluate(snap, Member("g"), Batch({Stmt("SELECT", kRead)}));
  CHECK(d.action == kAllow);
  CHECK(d.policy == "b");
  CHECK(d.rule == "reads");
}

// ---------------------------------------------------------------------------- matching

TEST_CASE("match: fields are ANDed, values ORed", "[evaluator]") {
  v1::PolicySnapshot snap = Snap({std::string(kMinimal) + R"(
default_action: allow
rules:
  - name: no-pii-writes
    match:
      classes: [write, ddl]
      relations: ["crm.*", "*.customers"]
    action: deny
)"});
  auto decide = [&](ClassifiedStatement s) { return Evaluate(snap, Agent(), Batch({s})).rule; };
  CHECK(decide(Stmt("INSERT", kWrite).Writes("crm.leads")) == "no-pii-writes");
  CHECK(decide(Stmt("ALTER TABLE", kDdl).Writes("customers")) == "no-pii-writes");
  CHECK(decide(Stmt("SELECT", kRead).Reads("crm.leads")) == "default");
  CHECK(decide(Stmt("INSERT", kWrite).Writes("orders")) == "default");
}

TEST_CASE("match: commands are exact command tags", "[evaluator]") {
  v1::PolicySnapshot snap = Snap({std::string(kMinimal) + R"(
default_action: allow
rules:
  - {name: no-drop-db, match: {commands: [drop   database]}, action: deny}
)"});
  CHECK(Evaluate(snap, Agent(), Batch({Stmt("DROP DATABASE", kDdl)})).action == kDeny);
  CHECK(Evaluate(snap, Agent(), Batch({Stmt("DROP TABLE", kDdl)})).action == kAllow);
  CHECK(Evaluate(snap, Agent(), Batch({Stmt("DROP", kDdl)})).action == kAllow);
}

TEST_CASE("match: a rule without match fields matches everything", "[evaluator]") {
  v1::PolicySnapshot snap = Snap({std::string(kMinimal) + R"(
default_action: allow
rules:
  - {name: freeze, action: deny, message: Change freeze until Monday.}
)"});
  for (ClassifiedStatement s :
       {ClassifiedStatement(Stmt("SELECT", kRead)), ClassifiedStatement(Stmt("COMMIT", kTcl)),
        ClassifiedStatement(Stmt("DO", kOpaque).Opaque())}) {
    Decision d = Evaluate(snap, Agent(), Batch({s}));
    CHECK(d.action == kDeny);
    CHECK(d.message == "denied by policy \"p\" rule \"freeze\": Change freeze until Monday.");
  }
}

TEST_CASE("match: functions, qualified or not", "[evaluator]") {
  v1::PolicySnapshot snap = Snap({Example("readonly-analysts.yaml")});
  Subject s = Member("analysts", "warehouse");
  auto decide = [&](ClassifiedStatement st) { return Evaluate(snap, s, Batch({st})); };
  Decision d = decide(Stmt("SELECT", kRead).Calls("pg_read_file"));
  CHECK(d.action == kDeny);
  CHECK(d.rule == "no-server-files");
  CHECK(d.message ==
        "denied by policy \"readonly-analysts\" rule \"no-server-files\": Server file access is "
        "not available to analysts.");
  CHECK(decide(Stmt("SELECT", kRead).Calls("pg_catalog.pg_read_file")).rule == "no-server-files");
  CHECK(decide(Stmt("SELECT", kRead).Calls("count").Calls("lo_export")).rule == "no-server-files");
  CHECK(decide(Stmt("SELECT", kRead).Calls("count").Calls("now")).action == kAllow);
}

TEST_CASE("match: schema-qualified deny cannot be dodged by dropping pg_catalog", "[evaluator]") {
  v1::PolicySnapshot snap = Snap({std::string(kMinimal) + R"(
default_action: allow
rules:
  - {name: no-files, match: {functions: ["pg_catalog.pg_read_*"]}, action: deny}
)"});
  CHECK(
      Evaluate(snap, Agent(), Batch({Stmt("SELECT", kRead).Calls("pg_read_binary_file")})).action ==
      kDeny);
  CHECK(Evaluate(snap, Agent(), Batch({Stmt("SELECT", kRead).Calls("myschema.pg_read_file")}))
            .action == kAllow);
}

TEST_CASE("match: without_where alone", "[evaluator]") {
  v1::PolicySnapshot snap = Snap({std::string(kMinimal) + R"(
default_action: allow
rules:
  - {name: whole-table, match: {without_where: true}, action: require_approval}
)"});
  CHECK(Evaluate(snap, Agent(), Batch({Stmt("UPDATE", kWrite).NoWhere()})).action == kApproval);
  CHECK(Evaluate(snap, Agent(), Batch({Stmt("UPDATE", kWrite)})).action == kAllow);
  // without_where: false is the same as leaving it out.
  v1::PolicySnapshot off = Snap({std::string(kMinimal) + R"(
rules:
  - {name: any, match: {without_where: false}, action: allow}
)"});
  CHECK(Evaluate(off, Agent(), Batch({Stmt("UPDATE", kWrite)})).action == kAllow);
}

TEST_CASE("match: relations glob over schemas", "[evaluator]") {
  v1::PolicySnapshot snap = Snap({std::string(kMinimal) + R"(
default_action: allow
rules:
  - {name: billing, match: {relations: ["billing.*"]}, action: deny}
  - {name: customers, match: {relations: [customers]}, action: require_approval}
)"});
  auto rule = [&](ClassifiedStatement s) { return Evaluate(snap, Agent(), Batch({s})).rule; };
  CHECK(rule(Stmt("SELECT", kRead).Reads("billing.invoices")) == "billing");
  CHECK(rule(Stmt("SELECT", kRead).Reads("invoices")) == "default");
  CHECK(rule(Stmt("SELECT", kRead).Reads("customers")) == "customers");
  CHECK(rule(Stmt("SELECT", kRead).Reads("crm.customers")) == "customers");
  CHECK(rule(Stmt("SELECT", kRead).Reads("orders").Reads("billing.x")) == "billing");
}

// ---------------------------------------------------------------------------- read-only

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

TEST_CASE("match: commands see the tag and the commands nested in the statement", "[evaluator]") {
  v1::PolicySnapshot snap = Snap({std::string(kMinimal) + R"(
default_action: allow
rules:
  - {name: no-delete, match: {commands: [DELETE]}, action: deny}
  - {name: no-execute, match: {commands: [EXECUTE]}, action: deny}
)"});
  auto with_commands = [](ClassifiedStatement s, std::vector<std::string> commands) {
    s.commands = std::move(commands);
    return s;
  };
  // Built by hand without a command list: the tag alone still matches.
  CHECK(Evaluate(snap, Agent(), Batch({Stmt("DELETE", kWrite)})).action == kDeny);
  CHECK(Evaluate(snap, Agent(), Batch({Stmt("SELECT", kWrite)})).action == kAllow);
  // WITH d AS (DELETE ...) SELECT ...: tag SELECT, and a DELETE inside.
  Decision cte =
      Evaluate(snap, Agent(), Batch({with_commands(Stmt("SELECT", kWrite), {"DELETE", "SELECT"})}));
  CHECK(cte.action == kDeny);
  CHECK(cte.rule == "no-delete");
  // EXECUTE of a known prepared DELETE reports DELETE; the EXECUTE is in the commands too.
  Decision exec = Evaluate(snap, Agent(),
                           Batch({with_commands(Stmt("UPDATE", kWrite), {"EXECUTE", "UPDATE"})}));
  CHECK(exec.action == kDeny);
  CHECK(exec.rule == "no-execute");
  // Plain EXPLAIN of a DELETE runs nothing.
  CHECK(
      Evaluate(snap, Agent(), Batch({with_commands(Stmt("EXPLAIN", kRead), {"EXPLAIN"})})).action ==
      kAllow);
}

TEST_CASE("read-only connection: writes denied even where policy allows them", "[evaluator]") {
  Subject who = Agent();
  who.connection_read_only = true;
  auto snap =
      Snap({"name: p\nsubjects: {identities: [claude-agent]}\nconnections: [demo]\n"
            "default_action: allow\n"});
  Decision w = Evaluate(snap, who, Batch({Stmt("DELETE", kWrite).Writes("orders")}));
  CHECK(w.action == kDeny);
  CHECK(w.rule == "read-only");
  CHECK(w.policy == "connection:demo");
  CHECK(Evaluate(snap, who, Batch({Stmt("SELECT", kRead).Reads("orders")})).action == kAllow);
  CHECK(Evaluate(snap, who, Batch({Stmt("BEGIN", kTcl)})).action == kAllow);
  CHECK(Evaluate(snap, who, Batch({Stmt("SET", kAdmin)})).action == kDeny);
  who.connection_read_only = false;
  CHECK(Evaluate(snap, who, Batch({Stmt("DELETE", kWrite).Writes("orders")})).action == kAllow);
}
