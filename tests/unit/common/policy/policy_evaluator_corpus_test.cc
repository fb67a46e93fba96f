// The statement corpus (data/sql_corpus.tsv) decided under two example policies, end to end:
// classified, evaluated, and sent through the agent's StatementGuard both as a simple Query and
// as an extended-protocol Parse/Bind/Execute/Sync. An allowed message reaches the database byte
// for byte; a refused one never does, and the client gets ErrorResponse 42501 carrying the
// decision's message where the server would have answered. Every evasion class of statement policy
// has corpus lines (comments, case, several statements, data-modifying CTEs, EXPLAIN ANALYZE,
// PREPARE/EXECUTE, DO, function bodies, COPY PROGRAM and COPY (query), rules, triggers,
// SELECT INTO, casts and wrapping functions, quoted and unicode-escaped identifiers, schema
// qualification, dollar quoting, cursors, set_config, SET ROLE, server file functions).
#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "agent/postgres/statement_guard.h"
#include "common/pgwire/pgwire.h"
#include "common/policy/policy_yaml.h"
#include "tests/unit/common/sql/sql_corpus.h"

using namespace warden;
using agent::StatementGuard;

namespace {

// What the corpus calls "guardrails": reads and ordinary writes pass; schema, access and
// server changes, code Warden cannot see into, unbounded changes and server file access are
// refused; deletes and billing writes wait for an approver.
constexpr char kGuardrails[] = R"(
name: agent-guardrails
subjects: {identities: [agent]}
connections: [db]
default_action: allow
rules:
  - name: no-ddl
    match: {classes: [ddl]}
    action: deny
    message: Schema changes go through migrations.
  - {name: no-dcl, match: {classes: [dcl]}, action: deny}
  - {name: no-admin, match: {classes: [admin]}, action: deny}
  - name: no-opaque
    match: {classes: [opaque]}
    action: deny
    message: Code Warden cannot see into is not run.
  - name: no-unbounded
    match: {without_where: true}
    action: deny
    message: DELETE and UPDATE need a WHERE clause.
  - name: no-server-files
    match:
      functions: [pg_read_file, pg_read_binary_file, pg_ls_dir, pg_stat_file, lo_import,
                  lo_export, set_config, "dblink*"]
    action: deny
  - {name: deletes-need-approval, match: {commands: [DELETE, MERGE]}, action: require_approval}
  - name: billing-writes-need-approval
    match: {classes: [write], relations: ["billing.*"]}
    action: require_approval
)";

// What the corpus calls "read_only": the read-only lock plus the same file functions refused.
constexpr char kReadOnly[] = R"(
name: read-only
subjects: {identities: [analyst]}
connections: [db]
default_action: allow
read_only: true
rules:
  - name: no-server-files
    match:
      functions: [pg_read_file, pg_read_binary_file, pg_ls_dir, pg_stat_file, lo_import,
                  lo_export, set_config, "dblink*"]
    action: deny
)";

const policy::Subject kAgent{"agent", {}, "db"};
const policy::Subject kAnalyst{"analyst", {}, "db"};

std::shared_ptr<v1::PolicySnapshot> Snapshot() {
  auto snap = std::make_shared<v1::PolicySnapshot>();
  snap->set_version(1);
  for (const char* yaml : {kGuardrails, kReadOnly}) {
    auto p = policy::ParsePolicyYaml(yaml, "corpus.yaml");
    INFO(p.status().ToString());
    REQUIRE(p.ok());
    *snap->add_policies() = *std::move(p);
  }
  return snap;
}

// "allow:default", "deny:no-ddl", "approval:deletes-need-approval", as the corpus writes them.
std::string Name(const policy::Decision& d) {
  switch (d.action) {
    case v1::ACTION_ALLOW:
      return "allow:" + d.rule;
    case v1::ACTION_REQUIRE_APPROVAL:
      return "approval:" + d.rule;
    default:
      return "deny:" + d.rule;
  }
}

// One client session through a fresh guard.
struct Session {
  Session(const agent::PolicyHolder& holder, sql::ClassifierCache& cache, policy::Subject who)
      : guard(holder, cache, std::move(who), "ses_corpus") {}

  std::string Front(const std::string& in) {
    std::string out;
    auto st = guard.Frontend(in, &out);
    INFO(st.ToString());
    REQUIRE(st.ok());
    return out;
  }
  std::string Back(const std::string& in) {
    std::string out;
    REQUIRE(guard.Backend(in, &out).ok());
    return out;
  }

  StatementGuard guard;
};

// The marker type a refused statement was replaced with: `SELECT NULL::"<marker>"`.
std::string MarkerIn(std::string_view replacement) {
  constexpr std::string_view kOpen = "SELECT NULL::\"";
  REQUIRE(replacement.substr(0, kOpen.size()) == kOpen);
  REQUIRE(replacement.back() == '"');
  std::string marker(replacement.substr(kOpen.size(), replacement.size() - kOpen.size() - 1));
  CHECK(marker.rfind("warden_denied_", 0) == 0);
  return marker;
}

// The server's error for the replacement comes back to the client as the decision.
void CheckClientError(Session& s, const std::string& marker, const policy::Decision& d) {
  const std::string ready = pgwire::BuildReadyForQuery('I');
  const std::string to_client = s.Back(
      pgwire::BuildErrorResponse("ERROR", "42704", "type \"" + marker + "\" does not exist") +
      ready);
  auto e = pgwire::DecodeBackend(to_client);
  REQUIRE(e.has_message());
  auto* err = std::get_if<pgwire::ErrorResponse>(&e.message());
  REQUIRE(err != nullptr);
  CHECK(err->sqlstate() == "42501");
  CHECK(std::string(err->message()).rfind(d.message, 0) == 0);
  CHECK(to_client.substr(e.consumed()) == ready);
}

// Sends `in`. Allowed, it reaches the database byte for byte. Refused, what reaches the
// database instead is one message, which `marker_of` checks and takes the marker from, then
// `rest` unchanged; and the client gets the decision for the server's error.
template <typename MarkerOf>
void CheckForwarding(Session& s, const std::string& in, const std::string& rest,
                     const policy::Decision& d, MarkerOf marker_of) {
  const std::string out = s.Front(in);
  if (d.action == v1::ACTION_ALLOW) {
    CHECK(out == in);
    return;
  }
  auto r = pgwire::DecodeFrontend(out);
  REQUIRE(r.has_message());
  CHECK(out.substr(r.consumed()) == rest);
  CheckClientError(s, marker_of(r.message()), d);
}

// As a simple Query: forwarded unchanged, or replaced whole.
void CheckSimple(Session& s, const std::string& sql, const policy::Decision& d) {
  CheckForwarding(s, pgwire::BuildQuery(sql), "", d, [](const pgwire::FrontendMessage& m) {
    auto* q = std::get_if<pgwire::Query>(&m);
    REQUIRE(q != nullptr);
    return MarkerIn(q->sql);
  });
}

// As Parse/Bind/Execute/Sync: forwarded unchanged, or the Parse replaced (same statement name,
// so the server fails it there and discards until Sync) and the rest passed on.
void CheckExtended(Session& s, const std::string& sql, const policy::Decision& d) {
  const std::string rest =
      pgwire::BuildBind("", "stmt", {}, {}, {}) + pgwire::BuildExecute("") + pgwire::BuildSync();
  CheckForwarding(s, pgwire::BuildParse("stmt", sql) + rest, rest, d,
                  [](const pgwire::FrontendMessage& m) {
                    auto* p = std::get_if<pgwire::Parse>(&m);
                    REQUIRE(p != nullptr);
                    CHECK(p->name == "stmt");
                    return MarkerIn(p->query);
                  });
}

}  // namespace

TEST_CASE("policy corpus: every statement is decided as written, in both protocols",
          "[evaluator][guard]") {
  const std::shared_ptr<v1::PolicySnapshot> snap = Snapshot();
  agent::PolicyHolder holder;
  holder.Install(snap);
  sql::ClassifierCache cache;
  const std::vector<sql_corpus::Case> cases = sql_corpus::Load();
  REQUIRE(cases.size() >= 150);
  int refused = 0;
  for (const sql_corpus::Case& c : cases) {
    INFO("corpus line " << c.line << ": " << c.sql);
    const sql::ClassifiedBatch batch = sql::Classify(c.sql);
    const struct {
      const policy::Subject& who;
      const std::string& expected;
    } runs[] = {{kAgent, c.guardrails}, {kAnalyst, c.read_only}};
    for (const auto& run : runs) {
      INFO("identity " << run.who.identity);
      const policy::Decision d = policy::Evaluate(*snap, run.who, batch);
      CHECK(Name(d) == run.expected);
      refused += d.action != v1::ACTION_ALLOW;
      Session simple(holder, cache, run.who);
      CheckSimple(simple, c.sql, d);
      Session extended(holder, cache, run.who);
      CheckExtended(extended, c.sql, d);
    }
  }
  // Both outcomes are well represented.
  CHECK(refused > 150);
  CHECK(refused < 2 * static_cast<int>(cases.size()) - 100);
}

TEST_CASE("policy corpus: PREPARE then EXECUTE in later messages is decided as its body",
          "[evaluator][guard]") {
  agent::PolicyHolder holder;
  holder.Install(Snapshot());
  sql::ClassifierCache cache;
  // Each message is answered as the server would (names bind only once it confirms them).
  auto allowed = [](Session& s, const std::string& sql) {
    const std::string in = pgwire::BuildQuery(sql);
    const bool passed = s.Front(in) == in;
    s.guard.OnServerMessage(passed ? 'C' : 'E');
    s.guard.OnServerMessage('Z');
    return passed;
  };

  Session agent(holder, cache, kAgent);
  // A prepared read runs as the read it is, not as opaque code.
  CHECK(allowed(agent, "PREPARE q AS SELECT * FROM users WHERE id = $1"));
  CHECK(allowed(agent, "EXECUTE q(1)"));
  // A prepared delete is held for approval, so the server never has it: its EXECUTE names
  // nothing the guard knows, and unknown code is refused.
  CHECK_FALSE(allowed(agent, "PREPARE d AS DELETE FROM users WHERE id = $1"));
  CHECK_FALSE(allowed(agent, "EXECUTE d(1)"));
  // An allowed upsert, once deallocated, is no longer known either.
  CHECK(allowed(agent, "PREPARE up AS INSERT INTO t VALUES ($1) ON CONFLICT (id) DO NOTHING"));
  CHECK(allowed(agent, "EXECUTE up(1)"));
  CHECK(allowed(agent, "DEALLOCATE up"));
  CHECK_FALSE(allowed(agent, "EXECUTE up(1)"));

  Session analyst(holder, cache, kAnalyst);
  CHECK(allowed(analyst, "PREPARE q AS SELECT * FROM users WHERE id = $1"));
  CHECK(allowed(analyst, "EXECUTE q(1)"));
  CHECK_FALSE(allowed(analyst, "PREPARE w AS INSERT INTO t VALUES ($1)"));
  CHECK_FALSE(allowed(analyst, "EXECUTE w(1)"));
  CHECK(analyst.guard.counters().allowed == 2);
  CHECK(analyst.guard.counters().denied == 2);
}
