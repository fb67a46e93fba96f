// The agent's statement guard: denied statements never reach the database, and the client gets
// ErrorResponse 42501 naming the rule in their place, in both protocols.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/unit/agent/postgres/guard_fixtures.h"

using namespace warden;
using namespace guard_fixtures;
using agent::StatementGuard;
using v1::ACTION_ALLOW;
using v1::ACTION_DENY;
using v1::ACTION_REQUIRE_APPROVAL;

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
