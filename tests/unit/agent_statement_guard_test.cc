// The agent's statement guard: denied statements never reach the database, and the client gets
// ErrorResponse 42501 naming the rule in their place, in both protocols.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "agent/session/client_settings.h"
#include "agent/session/statement_guard.h"
#include "common/pgwire/pgwire.h"
#include "common/policy/policy_yaml.h"

using namespace warden;
using agent::StatementGuard;
using v1::ACTION_ALLOW;
using v1::ACTION_DENY;
using v1::ACTION_REQUIRE_APPROVAL;

namespace {

constexpr char kPolicy[] = R"(
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
  Fixture() {
    auto p = policy::ParsePolicyYaml(kPolicy, "guard.yaml");
    REQUIRE(p.ok());
    auto snap = std::make_shared<v1::PolicySnapshot>();
    snap->set_version(1);
    *snap->add_policies() = *p;
    holder.Install(snap);
  }
  agent::PolicyHolder holder;
  sql::ClassifierCache cache;
  agent::DecisionCounters decisions;
  StatementGuard guard{holder, cache, policy::Subject{"claude", {}, "demo"}, "ses_test",
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
std::string MarkerOf(const std::string& replaced_sql) {
  auto start = replaced_sql.find('"');
  return replaced_sql.substr(start + 1, replaced_sql.rfind('"') - start - 1);
}

std::string ServerErrorFor(const std::string& marker) {
  return pgwire::BuildErrorResponse("ERROR", "42704", "type \"" + marker + "\" does not exist");
}

// The client's message for a denied simple Query: the error the guard puts in its place.
std::string DenialFor(Fixture& f, const std::string& query_out) {
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

}  // namespace

TEST_CASE("guard: allowed statements pass byte for byte, split anywhere", "[guard]") {
  Fixture f;
  std::string q = pgwire::BuildQuery("SELECT * FROM customers") + pgwire::BuildSync();
  for (size_t cut = 0; cut <= q.size(); ++cut) {
    Fixture g;
    CHECK(g.FrontSplit(q.substr(0, cut), q.substr(cut)) == q);
  }
  CHECK(f.guard.counters().allowed == 0);
  f.Front(q);
  CHECK(f.guard.counters().allowed == 1);
  CHECK(f.decisions.Decisions("guard", "default", ACTION_ALLOW) == 1);
  CHECK(f.Counted().size() == 1);
}

TEST_CASE("guard: a denied simple query never reaches the database", "[guard]") {
  std::string q = pgwire::BuildQuery("/* harmless */ dRoP TABLE customers");
  for (size_t cut = 0; cut <= q.size(); ++cut) {
    Fixture f;
    std::string out = f.FrontSplit(q.substr(0, cut), q.substr(cut));
    CHECK(out.find("customers") == std::string::npos);
    auto r = pgwire::DecodeFrontend(out);
    REQUIRE(r.has_message());
    REQUIRE(r.consumed() == out.size());
    auto* sent = std::get_if<pgwire::Query>(&r.message());
    REQUIRE(sent);
    std::string marker = MarkerOf(std::string(sent->sql));
    CHECK(marker.rfind("warden_denied_", 0) == 0);
    // The server's error for the marker becomes the rule's message, split anywhere too.
    std::string back = ServerErrorFor(marker) + pgwire::BuildReadyForQuery('I');
    std::string to_client =
        f.BackSplit(back.substr(0, cut % back.size()), back.substr(cut % back.size()));
    auto e = pgwire::DecodeBackend(to_client);
    REQUIRE(e.has_message());
    auto* err = std::get_if<pgwire::ErrorResponse>(&e.message());
    REQUIRE(err);
    CHECK(err->sqlstate() == "42501");
    CHECK(std::string(err->message()) ==
          "denied by policy \"guard\" rule \"no-drop\": Dropping tables needs a ticket");
    CHECK(to_client.substr(e.consumed()) == pgwire::BuildReadyForQuery('I'));
    CHECK(f.guard.counters().denied == 1);
    CHECK(f.Counted() == std::vector<std::string>{"guard/no-drop/ACTION_DENY=1"});
  }
}

TEST_CASE("guard: one denied statement in a multi-statement query denies it all", "[guard]") {
  Fixture f;
  std::string out = f.Front(pgwire::BuildQuery("SELECT 1; DROP TABLE customers; SELECT 2"));
  CHECK(out.find("DROP") == std::string::npos);
  CHECK(out.find("SELECT 1") == std::string::npos);
  // One message, one decision: the batch is counted once, under the rule that denied it.
  CHECK(f.Counted() == std::vector<std::string>{"guard/no-drop/ACTION_DENY=1"});
}

TEST_CASE("guard: extended protocol is decided at Parse", "[guard]") {
  Fixture f;
  std::string batch = pgwire::BuildParse("s1", "DELETE FROM orders WHERE id = $1") +
                      pgwire::BuildBind("", "s1", {}, {std::string_view("1")}, {}) +
                      pgwire::BuildExecute("") + pgwire::BuildSync();
  std::string out = f.Front(batch);
  CHECK(out.find("DELETE") == std::string::npos);
  auto r = pgwire::DecodeFrontend(out);
  REQUIRE(r.has_message());
  auto* parse = std::get_if<pgwire::Parse>(&r.message());
  REQUIRE(parse);
  CHECK(parse->name == "s1");  // the server's own recovery: discard until Sync
  // Bind, Execute and Sync follow unchanged.
  CHECK(out.substr(r.consumed()) == batch.substr(batch.size() - (out.size() - r.consumed())));
  std::string to_client = f.Back(ServerErrorFor(MarkerOf(std::string(parse->query))));
  auto e = pgwire::DecodeBackend(to_client);
  auto* err = std::get_if<pgwire::ErrorResponse>(&e.message());
  REQUIRE(err);
  CHECK(err->sqlstate() == "42501");
  CHECK(std::string(err->message()).find("hold-deletes") != std::string::npos);
  CHECK(std::string(err->message()).find("approval") != std::string::npos);
  // Decided at Parse only: Bind, Execute and Sync are not decisions.
  CHECK(f.Counted() == std::vector<std::string>{"guard/hold-deletes/ACTION_REQUIRE_APPROVAL=1"});
}

TEST_CASE("guard: other errors and results pass untouched while a denial is pending", "[guard]") {
  Fixture f;
  std::string out = f.Front(pgwire::BuildQuery("DROP TABLE customers"));
  std::string other = pgwire::BuildErrorResponse("ERROR", "22012", "division by zero");
  std::string rows = pgwire::BuildDataRow({std::string_view("a"), std::nullopt});
  CHECK(f.Back(rows + other) == rows + other);
}

TEST_CASE("guard: fast-path large-object calls are decided as the SELECT they amount to",
          "[guard]") {
  Fixture f;
  int version = 7;
  auto install = [&f, &version](const char* yaml) {
    auto p = policy::ParsePolicyYaml(yaml, "guard.yaml");
    REQUIRE(p.ok());
    auto snap = std::make_shared<v1::PolicySnapshot>();
    snap->set_version(version++);
    *snap->add_policies() = *p;
    f.holder.Install(snap);
  };
  install(R"(
name: guard
subjects: {identities: [claude]}
connections: [demo]
default_action: allow
read_only: true
)");
  // lo_open (952) and loread (954) read: they pass unchanged.
  for (uint32_t oid : {952u, 954u, 953u}) {
    std::string call = pgwire::BuildFunctionCall(oid, {}, {std::string_view("\1\2\3\4")}, 0);
    CHECK(f.Front(call) == call);
  }
  // lowrite (955) and lo_unlink (964) write: refused by the read-only lock.
  for (uint32_t oid : {955u, 964u, 957u}) {
    std::string call = pgwire::BuildFunctionCall(oid, {}, {std::string_view("\1\2\3\4")}, 0);
    std::string out = f.Front(call);
    REQUIRE(out != call);
    CHECK_THAT(DenialFor(f, out), Catch::Contains("read-only"));
  }
  // Under masking, a fast-path read of large-object bytes is refused.
  install(R"(
name: guard
subjects: {identities: [claude]}
connections: [demo]
default_action: allow
masking:
  - {name: emails, detectors: [email], strategy: redact}
)");
  std::string read = pgwire::BuildFunctionCall(954, {}, {std::string_view("\0\0\0\0")}, 0);
  std::string out = f.Front(read);
  REQUIRE(out != read);
  CHECK_THAT(DenialFor(f, out), Catch::Contains("masked-values"));
}

TEST_CASE("guard: fast-path function calls are refused", "[guard]") {
  Fixture f;
  std::string out =
      f.Front(pgwire::BuildFunctionCall(2619, {}, {std::string_view("/etc/passwd")}, 0));
  auto r = pgwire::DecodeFrontend(out);
  REQUIRE(r.has_message());
  REQUIRE(std::holds_alternative<pgwire::Query>(r.message()));
  CHECK(out.find("passwd") == std::string::npos);
  CHECK(f.decisions.Decisions("", "fast-path-function-call", ACTION_DENY) == 1);
}

TEST_CASE("guard: no policy yet means nothing passes", "[guard]") {
  agent::PolicyHolder empty;
  sql::ClassifierCache cache;
  agent::DecisionCounters decisions;
  StatementGuard g(empty, cache, policy::Subject{"claude", {}, "demo"}, "s", &decisions);
  std::string out;
  REQUIRE(g.Frontend(pgwire::BuildQuery("SELECT 1"), &out).ok());
  CHECK(out.find("SELECT 1") == std::string::npos);
  CHECK(decisions.Decisions("", "no-policy", ACTION_DENY) == 1);
}

TEST_CASE("guard: broken client framing ends the session", "[guard]") {
  Fixture f;
  std::string out;
  CHECK_FALSE(f.guard.Frontend(std::string("Q\0\0\0\x02", 5), &out).ok());
  Fixture g;
  CHECK_FALSE(g.guard.Frontend(std::string("z\0\0\0\x04", 5), &out).ok());
}

TEST_CASE("guard: Execute re-decides when the policy changed after Parse", "[guard]") {
  Fixture f;
  std::string parse = pgwire::BuildParse("del", "DELETE FROM orders WHERE id = $1");
  std::string bind = pgwire::BuildBind("p1", "del", {}, {std::string_view("1")}, {});
  std::string execute = pgwire::BuildExecute("p1");
  std::string sync = pgwire::BuildSync();
  // The policy allows DELETE with a WHERE... until it does not.
  auto allow = policy::ParsePolicyYaml(
      "name: open\nsubjects: {identities: [claude]}\nconnections: [demo]\ndefault_action: allow\n",
      "open.yaml");
  REQUIRE(allow.ok());
  auto v1snap = std::make_shared<v1::PolicySnapshot>();
  v1snap->set_version(2);
  *v1snap->add_policies() = *allow;
  f.holder.Install(v1snap);
  std::string all = parse + bind + execute + sync;
  CHECK(f.Front(all) == all);  // same version: Execute passes untouched
  CHECK(f.Front(bind + execute + sync) == bind + execute + sync);

  auto deny = policy::ParsePolicyYaml(
      "name: open\nsubjects: {identities: [claude]}\nconnections: [demo]\ndefault_action: allow\n"
      "rules:\n  - name: no-delete\n    match: {commands: [DELETE]}\n    action: deny\n",
      "open.yaml");
  REQUIRE(deny.ok());
  auto v3snap = std::make_shared<v1::PolicySnapshot>();
  v3snap->set_version(3);
  *v3snap->add_policies() = *deny;
  f.holder.Install(v3snap);
  std::string out = f.Front(bind + execute + sync);
  REQUIRE(out.substr(0, bind.size()) == bind);
  auto r = pgwire::DecodeFrontend(std::string_view(out).substr(bind.size()));
  REQUIRE(r.has_message());
  auto* ex = std::get_if<pgwire::Execute>(&r.message());
  REQUIRE(ex);
  std::string marker(ex->portal);
  CHECK(marker.rfind("warden_denied_", 0) == 0);
  std::string to_client = f.Back(
      pgwire::BuildErrorResponse("ERROR", "34000", "portal \"" + marker + "\" does not exist"));
  auto e = pgwire::DecodeBackend(to_client);
  auto* err = std::get_if<pgwire::ErrorResponse>(&e.message());
  REQUIRE(err);
  CHECK(err->sqlstate() == "42501");
  CHECK(std::string(err->message()).find("no-delete") != std::string::npos);
  // Parse under version 2 (allowed), the same-version Execute (not re-decided), the re-check
  // under version 3 (denied): two decisions.
  CHECK(f.Counted() ==
        std::vector<std::string>{"open/default/ACTION_ALLOW=1", "open/no-delete/ACTION_DENY=1"});
}

TEST_CASE("guard: every decided message is counted by policy, rule and action", "[guard]") {
  Fixture f;
  f.Front(pgwire::BuildQuery("SELECT 1") + pgwire::BuildQuery("SELECT 2; SELECT 3"));
  f.Front(pgwire::BuildQuery("DROP TABLE customers"));
  f.Front(pgwire::BuildParse("", "DELETE FROM orders WHERE id = $1") + pgwire::BuildSync());
  f.Front(pgwire::BuildParse("s", "SELECT $1::int") + pgwire::BuildSync());
  CHECK(f.Counted() == std::vector<std::string>{"guard/default/ACTION_ALLOW=3",
                                                "guard/hold-deletes/ACTION_REQUIRE_APPROVAL=1",
                                                "guard/no-drop/ACTION_DENY=1"});
  CHECK(f.guard.counters().allowed == 3);
  CHECK(f.guard.counters().denied == 2);
  // Two sessions count into one agent-wide set.
  StatementGuard other{f.holder, f.cache, policy::Subject{"claude", {}, "demo"}, "ses_2",
                       &f.decisions};
  std::string out;
  REQUIRE(other.Frontend(pgwire::BuildQuery("DROP TABLE orders"), &out).ok());
  CHECK(f.decisions.Decisions("guard", "no-drop", ACTION_DENY) == 2);
  // Names and counts only: no statement text in what is reported.
  std::string reported = f.decisions.Snapshot().SerializeAsString();
  CHECK(reported.find("customers") == std::string::npos);
  CHECK(reported.find("orders") == std::string::npos);
}

TEST_CASE("guard: statements that would change how the database reads text are refused",
          "[guard][settings]") {
  for (const char* sql : {"SET standard_conforming_strings = off",
                          "SELECT set_config('standard_conforming_strings', 'off', false)",
                          "SET NAMES 'SJIS'", "SET client_encoding = 'gbk'"}) {
    Fixture f;
    INFO(sql);
    std::string in = pgwire::BuildQuery(sql);
    std::string out = f.Front(in);
    REQUIRE(out != in);
    CHECK_THAT(DenialFor(f, out), Catch::Contains("rule \"parser-settings\""));
    CHECK(f.decisions.Decisions("", "parser-settings", ACTION_DENY) == 1);
  }
  Fixture f;
  std::string in = pgwire::BuildQuery("SET client_encoding = 'LATIN1'");
  CHECK(f.Front(in) == in);
}

TEST_CASE("guard: a text with a backslash waits for the answers to earlier requests",
          "[guard][settings]") {
  Fixture f;
  // A DO block could turn standard_conforming_strings off; the database reports that only
  // before its ReadyForQuery, so what is pipelined behind it is not read yet.
  std::string first = pgwire::BuildQuery("DO $$BEGIN PERFORM 1; END$$");
  CHECK(f.Front(first) == first);
  std::string smuggle = pgwire::BuildQuery("SELECT 'x\\' -- ' ; DELETE FROM orders; SELECT 'y'");
  std::string out = f.Front(smuggle);
  REQUIRE(out != smuggle);
  CHECK_THAT(DenialFor(f, out), Catch::Contains("after the earlier result"));
  // ASCII without backslashes reads the same whatever the settings.
  std::string plain = pgwire::BuildQuery("SELECT 'x'");
  CHECK(f.Front(plain) == plain);
  // Once every request is answered, the same text is decided as usual.
  for (char tag : {'C', 'Z', 'C', 'Z', 'C', 'Z'}) f.guard.OnServerMessage(tag);
  std::string later = pgwire::BuildQuery("SELECT 'C:\\path'");
  CHECK(f.Front(later) == later);
  // In the extended protocol, a Parse after an Execute in the same batch waits too.
  std::string batch = pgwire::BuildParse("", "SELECT 1") + pgwire::BuildBind("", "", {}, {}, {}) +
                      pgwire::BuildExecute("");
  f.guard.OnServerMessage('Z');
  CHECK(f.Front(batch) == batch);
  std::string parse = pgwire::BuildParse("", "SELECT 'é'");
  CHECK(f.Front(parse) != parse);
}

TEST_CASE("guard: ParameterStatus must report the settings the parser reads under",
          "[guard][settings]") {
  CHECK(StatementGuard::CheckParameterStatus(
            pgwire::BuildParameterStatus("standard_conforming_strings", "on"))
            .ok());
  CHECK(
      StatementGuard::CheckParameterStatus(pgwire::BuildParameterStatus("client_encoding", "UTF8"))
          .ok());
  CHECK(StatementGuard::CheckParameterStatus(
            pgwire::BuildParameterStatus("application_name", "o'neil \\"))
            .ok());
  auto off = StatementGuard::CheckParameterStatus(
      pgwire::BuildParameterStatus("standard_conforming_strings", "off"));
  CHECK(absl::IsFailedPrecondition(off));
  CHECK_THAT(std::string(off.message()), Catch::Contains("standard_conforming_strings=off"));
  // Through the guard's backend path, split anywhere: the session ends.
  std::string msgs = pgwire::BuildCommandComplete("SELECT 1") +
                     pgwire::BuildParameterStatus("client_encoding", "SJIS") +
                     pgwire::BuildReadyForQuery('I');
  for (size_t cut = 0; cut <= msgs.size(); ++cut) {
    Fixture f;
    std::string out;
    absl::Status a = f.guard.Backend(msgs.substr(0, cut), &out);
    absl::Status b = a.ok() ? f.guard.Backend(msgs.substr(cut), &out) : a;
    CHECK(absl::IsFailedPrecondition(b));
  }
}

TEST_CASE("guard: prepared names bind only when the server confirms them", "[guard]") {
  Fixture f;
  auto install = [&f](const char* yaml, int version) {
    auto p = policy::ParsePolicyYaml(yaml, "guard.yaml");
    REQUIRE(p.ok());
    auto snap = std::make_shared<v1::PolicySnapshot>();
    snap->set_version(version);
    *snap->add_policies() = *p;
    f.holder.Install(snap);
  };
  auto send = [&f](const std::string& sql) {
    std::string in = pgwire::BuildQuery(sql);
    return f.Front(in) == in;
  };
  install(
      "name: open\nsubjects: {identities: [claude]}\nconnections: [demo]\n"
      "default_action: allow\n",
      1);
  REQUIRE(send("PREPARE p AS DELETE FROM orders"));
  f.guard.OnServerMessage('C');
  f.guard.OnServerMessage('Z');
  install(kPolicy, 2);  // deletes now need approval
  // The server refuses the re-PREPARE (42P05): p is still the DELETE, and stays refused.
  REQUIRE(send("PREPARE p AS SELECT 1"));
  f.guard.OnServerMessage('E');
  f.guard.OnServerMessage('Z');
  std::string exec = pgwire::BuildQuery("EXECUTE p");
  std::string out = f.Front(exec);
  REQUIRE(out != exec);
  CHECK_THAT(DenialFor(f, out), Catch::Contains("hold-deletes"));
  f.guard.OnServerMessage('E');
  f.guard.OnServerMessage('Z');
  // Confirmed by the server, a new PREPARE rebinds the name.
  REQUIRE(send("DEALLOCATE p; PREPARE p AS SELECT 1"));
  f.guard.OnServerMessage('C');
  f.guard.OnServerMessage('C');
  f.guard.OnServerMessage('Z');
  CHECK(send("EXECUTE p"));
}

TEST_CASE("guard: a Parse the server rejects does not rebind the statement re-checked at Execute",
          "[guard]") {
  Fixture f;
  std::string parse = pgwire::BuildParse("s1", "SELECT 1") + pgwire::BuildSync();
  CHECK(f.Front(parse) == parse);
  f.guard.OnServerMessage('1');
  f.guard.OnServerMessage('Z');
  // The name is taken: the server answers 42P05 and s1 stays SELECT 1.
  std::string again = pgwire::BuildParse("s1", "SELECT 2") + pgwire::BuildSync();
  CHECK(f.Front(again) == again);
  f.guard.OnServerMessage('E');
  f.guard.OnServerMessage('Z');
  // A policy change re-decides s1 at Execute: as SELECT 1, which is still allowed.
  auto p = policy::ParsePolicyYaml(kPolicy, "guard.yaml");
  REQUIRE(p.ok());
  auto snap = std::make_shared<v1::PolicySnapshot>();
  snap->set_version(2);
  *snap->add_policies() = *p;
  f.holder.Install(snap);
  std::string run =
      pgwire::BuildBind("", "s1", {}, {}, {}) + pgwire::BuildExecute("") + pgwire::BuildSync();
  CHECK(f.Front(run) == run);
}

TEST_CASE("startup settings are decided as the SET statements they amount to", "[guard][startup]") {
  Fixture f;
  auto admin_denied = policy::ParsePolicyYaml(R"(
name: guard
subjects: {identities: [claude]}
connections: [demo]
default_action: allow
rules:
  - {name: no-admin, match: {classes: [admin]}, action: deny, message: Ask a DBA}
)",
                                              "guard.yaml");
  REQUIRE(admin_denied.ok());
  auto snap = std::make_shared<v1::PolicySnapshot>();
  snap->set_version(2);
  *snap->add_policies() = *admin_denied;
  const policy::Subject who{"claude", {}, "demo"};
  auto decided = agent::DecideClientSettings(
      {{"IntervalStyle", "postgres_verbose"}, {"search_path", "evil"}, {"my.tenant", "it's"}},
      snap.get(), who, f.cache);
  REQUIRE(decided.size() == 3);
  CHECK(decided[0].name == "intervalstyle");
  CHECK(decided[0].decision.action == ACTION_ALLOW);
  CHECK(decided[1].name == "my.tenant");
  CHECK(decided[1].decision.rule == "no-admin");
  CHECK(decided[2].name == "search_path");
  CHECK(decided[2].decision.action == ACTION_DENY);
  CHECK_THAT(decided[2].decision.message, Catch::Contains("Ask a DBA"));
  CHECK(agent::SetStatementFor("my.tenant", "it's") == "SET \"my\".\"tenant\" TO 'it''s'");
  // No policy yet: only ordinary settings pass.
  auto none = agent::DecideClientSettings({{"timezone", "UTC"}, {"role", "postgres"}}, nullptr, who,
                                          f.cache);
  CHECK(none[0].decision.action == ACTION_DENY);  // role
  CHECK(none[1].decision.action == ACTION_ALLOW);
}

TEST_CASE("guard: a masked subject cannot put a computed value into a setting",
          "[guard][masking]") {
  Fixture f;
  auto masked = policy::ParsePolicyYaml(R"(
name: masked
subjects: {identities: [claude]}
connections: [demo]
default_action: allow
masking:
  - {name: emails, columns: ["*.email"], strategy: redact}
)",
                                        "masked.yaml");
  REQUIRE(masked.ok());
  auto snap = std::make_shared<v1::PolicySnapshot>();
  snap->set_version(3);
  *snap->add_policies() = *masked;
  f.holder.Install(snap);
  for (const char* leak :
       {"SELECT set_config('application_name', (SELECT email FROM customers LIMIT 1), false)",
        "SELECT set_config('x.leak', email, false) FROM customers"}) {
    INFO(leak);
    std::string in = pgwire::BuildQuery(leak);
    std::string out = f.Front(in);
    REQUIRE(out != in);
    CHECK_THAT(DenialFor(f, out), Catch::Contains("masks result values"));
  }
  for (const char* fine : {"SET application_name = 'report'", "SET extra_float_digits = 3",
                           "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE",
                           "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
                           "SELECT set_config('application_name', 'report', false)"}) {
    std::string in = pgwire::BuildQuery(fine);
    CHECK(f.Front(in) == in);
  }
}
