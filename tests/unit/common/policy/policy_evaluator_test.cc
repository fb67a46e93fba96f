// Tests for common/policy/evaluator and glob: applicable policies, rule matching, precedence,
// defaults and evasions expressed as classified statements (read-only, opaque, unparsed and
// whole-batch decisions: policy_evaluator_lock_test.cc). Policies are written as YAML (and the
// examples under deploy/policies are used as they ship) so each case reads like the policy it
// tests.
#include "tests/unit/common/policy/evaluator_fixtures.h"

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
