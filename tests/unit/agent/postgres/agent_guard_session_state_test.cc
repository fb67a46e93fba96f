// The statement guard's view of the session: settings that decide how the database reads text,
// names the server confirms, startup settings, values that must not leave through settings, and
// fast-path calls decided as the statements they amount to.
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

TEST_CASE("guard: fast-path large-object calls are decided as the SELECT they amount to",
          "[guard]") {
  Fixture f;
  f.Install(R"(
name: guard
subjects: {identities: [claude]}
connections: [demo]
default_action: allow
read_only: true
)",
            7);
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
  f.Install(R"(
name: guard
subjects: {identities: [claude]}
connections: [demo]
default_action: allow
masking:
  - {name: emails, detectors: [email], strategy: redact}
)",
            8);
  std::string read = pgwire::BuildFunctionCall(954, {}, {std::string_view("\0\0\0\0")}, 0);
  std::string out = f.Front(read);
  REQUIRE(out != read);
  CHECK_THAT(DenialFor(f, out), Catch::Contains("masked-values"));
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
  auto send = [&f](const std::string& sql) {
    std::string in = pgwire::BuildQuery(sql);
    return f.Front(in) == in;
  };
  f.Install(
      "name: open\nsubjects: {identities: [claude]}\nconnections: [demo]\n"
      "default_action: allow\n",
      1);
  REQUIRE(send("PREPARE p AS DELETE FROM orders"));
  f.guard.OnServerMessage('C');
  f.guard.OnServerMessage('Z');
  f.Install(kPolicy, 2);  // deletes now need approval
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
  f.Install(kPolicy, 2);
  std::string run =
      pgwire::BuildBind("", "s1", {}, {}, {}) + pgwire::BuildExecute("") + pgwire::BuildSync();
  CHECK(f.Front(run) == run);
}

TEST_CASE("startup settings are decided as the SET statements they amount to", "[guard][startup]") {
  Fixture f;
  auto snap = f.Install(R"(
name: guard
subjects: {identities: [claude]}
connections: [demo]
default_action: allow
rules:
  - {name: no-admin, match: {classes: [admin]}, action: deny, message: Ask a DBA}
)",
                        2);
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
  f.Install(R"(
name: masked
subjects: {identities: [claude]}
connections: [demo]
default_action: allow
masking:
  - {name: emails, columns: ["*.email"], strategy: redact}
)",
            3);
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

namespace {

// Parses `name` as `sql`; the server confirms it.
void ParseConfirmed(Fixture& f, const std::string& name, const std::string& sql) {
  const std::string parse = pgwire::BuildParse(name, sql) + pgwire::BuildSync();
  CHECK(f.Front(parse) == parse);
  for (char tag : {'1', 'Z'}) f.guard.OnServerMessage(tag);
}

}  // namespace

TEST_CASE("guard: a Bind of a SQL PREPARE's name is decided as its EXECUTE", "[guard]") {
  Fixture f;
  f.guard.set_holds_enabled(true);
  // The namespace is shared: a statement PREPAREd in SQL can be bound by the protocol.
  const std::string prepare = pgwire::BuildQuery("PREPARE del AS DELETE FROM orders WHERE id = $1");
  CHECK(f.Front(prepare) == prepare);
  for (char tag : {'C', 'Z'}) f.guard.OnServerMessage(tag);
  const std::string bind = pgwire::BuildBind("", "del", {}, {std::string_view("7")}, {});
  CHECK(f.Front(bind + pgwire::BuildExecute("") + pgwire::BuildSync()) == bind);
  REQUIRE(f.guard.holding());
  CHECK(f.guard.held().statement == "EXECUTE \"del\"");
  CHECK(f.guard.held().rule == "hold-deletes");
  CHECK(f.guard.held().bind == bind);  // the approver sees the values
}

TEST_CASE("guard: a Close the server skipped after an error forgets nothing", "[guard]") {
  Fixture f;
  f.guard.set_holds_enabled(true);
  ParseConfirmed(f, "s1", "DELETE FROM orders WHERE id = $1");
  // The server fails the first Parse and skips the Close: s1 still runs its DELETE.
  const std::string failing = pgwire::BuildParse("", "SELECT * FROM missing") +
                              pgwire::BuildClose('S', "s1") + pgwire::BuildSync();
  CHECK(f.Front(failing) == failing);
  for (char tag : {'E', 'Z'}) f.guard.OnServerMessage(tag);
  const std::string bind = pgwire::BuildBind("", "s1", {}, {std::string_view("1")}, {});
  CHECK(f.Front(bind + pgwire::BuildExecute("") + pgwire::BuildSync()) == bind);
  REQUIRE(f.guard.holding());
  CHECK(f.guard.held().statement == "DELETE FROM orders WHERE id = $1");
}

namespace {

// kPolicy, and code the classifier cannot see into held too.
constexpr char kHoldOpaque[] = R"(
name: guard
subjects: {identities: [claude]}
connections: [demo]
default_action: allow
rules:
  - {name: hold-deletes, match: {commands: [DELETE]}, action: require_approval}
  - {name: hold-opaque, match: {classes: [opaque]}, action: require_approval}
)";

std::string BindRun(const std::string& statement) {
  return pgwire::BuildBind("", statement, {}, {}, {}) + pgwire::BuildExecute("") +
         pgwire::BuildSync();
}

}  // namespace

TEST_CASE("guard: a name closed or re-prepared before the server answered is not trusted",
          "[guard]") {
  Fixture f;
  f.Install(kHoldOpaque, 2);
  f.guard.set_holds_enabled(true);
  ParseConfirmed(f, "s1", "SELECT 1");
  // Closed and PREPAREd anew in one write: by the Bind, s1 may be the DELETE.
  const std::string again = pgwire::BuildClose('S', "s1") + pgwire::BuildSync() +
                            pgwire::BuildQuery("PREPARE s1 AS DELETE FROM orders");
  CHECK(f.Front(again) == again);
  const std::string run = BindRun("s1");
  CHECK(f.Front(run) == run.substr(0, run.find('E')));  // the Execute is held
  REQUIRE(f.guard.holding());
  CHECK(f.guard.held().rule == "hold-opaque");  // unknown until the server answers
}

TEST_CASE("guard: DEALLOCATE and DISCARD ALL drop protocol statements too", "[guard]") {
  for (const char* drop : {"DEALLOCATE s1", "DEALLOCATE ALL", "DISCARD ALL"}) {
    INFO(drop);
    Fixture f;
    f.guard.set_holds_enabled(true);
    ParseConfirmed(f, "s1", "SELECT 1");
    for (std::string sql : {std::string(drop), std::string("PREPARE s1 AS DELETE FROM t")}) {
      const std::string q = pgwire::BuildQuery(sql);
      CHECK(f.Front(q) == q);
      for (char tag : {'C', 'Z'}) f.guard.OnServerMessage(tag);
    }
    const std::string run = BindRun("s1");
    CHECK(f.Front(run) == run.substr(0, run.find('E')));
    REQUIRE(f.guard.holding());
    CHECK(f.guard.held().statement == "EXECUTE \"s1\"");
    CHECK(f.guard.held().rule == "hold-deletes");
  }
}

TEST_CASE("guard: names are told apart as the server does, by their first 63 bytes", "[guard]") {
  Fixture f;
  f.guard.set_holds_enabled(true);
  const std::string stem(63, 'n');
  ParseConfirmed(f, stem + "a", "SELECT 1");
  // To the server these are one name: closing one closes the other, parsing one replaces it.
  const std::string swap = pgwire::BuildClose('S', stem + "b") + pgwire::BuildSync() +
                           pgwire::BuildParse(stem + "b", "DELETE FROM orders") +
                           pgwire::BuildSync();
  CHECK(f.Front(swap) == swap);
  for (char tag : {'3', 'Z', '1', 'Z'}) f.guard.OnServerMessage(tag);
  const std::string run = BindRun(stem + "a");
  CHECK(f.Front(run) == run.substr(0, run.find('E')));
  REQUIRE(f.guard.holding());
  CHECK(f.guard.held().statement == "DELETE FROM orders");
}

TEST_CASE("guard: a Close still unanswered leaves the name what it was", "[guard]") {
  Fixture f;  // default allow: nothing opaque is held
  f.guard.set_holds_enabled(true);
  ParseConfirmed(f, "s1", "DELETE FROM orders WHERE id = $1");
  // All in one write: the server fails the Parse, skips the Close, and s1 is still the DELETE.
  const std::string close = pgwire::BuildParse("", "SELECT * FROM missing") +
                            pgwire::BuildClose('S', "s1") + pgwire::BuildSync();
  const std::string run = BindRun("s1");
  CHECK(f.Front(close + run) == close + run.substr(0, run.find('E')));
  REQUIRE(f.guard.holding());
  CHECK(f.guard.held().statement == "DELETE FROM orders WHERE id = $1");
}

TEST_CASE("guard: SQL EXECUTE of a statement made by Parse is decided as its text", "[guard]") {
  Fixture f;
  f.guard.set_holds_enabled(true);
  ParseConfirmed(f, "s1", "DELETE FROM orders WHERE id = $1");
  CHECK(f.Front(pgwire::BuildQuery("EXECUTE s1(5)")).empty());
  REQUIRE(f.guard.holding());
  CHECK(f.guard.held().rule == "hold-deletes");
}
