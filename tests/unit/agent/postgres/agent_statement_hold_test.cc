// Holding a statement (statement_hold.h) through the traffic seam with the real guard: what the
// database gets while a statement waits, and after it is released either way, cancelled,
// abandoned, or with more messages pipelined behind it.
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "agent/postgres/traffic_seam.h"
#include "guard_fixtures.h"

using namespace warden;
using agent::HoldRelease;
using agent::QueryState;

namespace {

// A session's seam under guard_fixtures::kPolicy (DELETE requires approval, DROP TABLE is
// denied), with holds on and an empty function catalog loaded.
struct Seam {
  Seam() {
    fixture.Install(guard_fixtures::kPolicy, 1);
    auto guard = std::make_unique<agent::StatementGuard>(
        fixture.holder, fixture.cache, policy::Subject{"claude", {}, "demo"}, "ses_hold");
    guard->set_holds_enabled(true);
    seam.SetGuard(std::move(guard));
    REQUIRE_FALSE(seam.StartFunctionCatalogLoad().empty());
    std::string answer = pgwire::BuildRowDescription({}) +
                         pgwire::BuildCommandComplete("SELECT 0") + pgwire::BuildReadyForQuery('I');
    REQUIRE(Back(answer).empty());
    REQUIRE_FALSE(seam.loading_function_catalog());
  }

  // Client bytes in, what the database gets out.
  std::string Front(std::string bytes) {
    auto st = seam.FrontendBytes(&bytes);
    INFO(st.ToString());
    REQUIRE(st.ok());
    return bytes;
  }
  // Database bytes in, what the client gets out.
  std::string Back(std::string bytes) {
    REQUIRE(seam.BackendBytes(&bytes).ok());
    return bytes;
  }
  std::string Release(const HoldRelease& r) {
    std::string out;
    auto st = seam.ReleaseHold(r, &out);
    INFO(st.ToString());
    REQUIRE(st.ok());
    return out;
  }
  // The error the client gets for a refused Query: the server fails its replacement.
  pgwire::ErrorResponse ClientErrorForQuery(const std::string& to_database) {
    auto r = pgwire::DecodeFrontend(to_database);
    REQUIRE(r.has_message());
    auto* q = std::get_if<pgwire::Query>(&r.message());
    REQUIRE(q);
    CHECK(std::string(q->sql).find("DELETE") == std::string::npos);
    std::string marker = guard_fixtures::MarkerOf(std::string(q->sql));
    client_error = Back(guard_fixtures::ServerErrorFor(marker));
    auto e = pgwire::DecodeBackend(client_error);
    REQUIRE(e.has_message());
    auto* err = std::get_if<pgwire::ErrorResponse>(&e.message());
    REQUIRE(err);
    return *err;
  }

  guard_fixtures::Fixture fixture;
  agent::TrafficSeam seam;
  std::string client_error;  // keeps the decoded error's bytes alive
};

const std::string kDelete = pgwire::BuildQuery("DELETE FROM orders WHERE id = 7");

}  // namespace

TEST_CASE("hold: a simple Query needing approval waits, then goes exactly as sent", "[hold]") {
  Seam s;
  CHECK(s.seam.state() == QueryState::kReady);
  CHECK(s.Front(kDelete).empty());
  REQUIRE(s.seam.state() == QueryState::kHeld);
  const agent::HoldFacts* held = s.seam.held();
  REQUIRE(held);
  CHECK(held->message_type == 'Q');
  CHECK(held->statement == "DELETE FROM orders WHERE id = 7");
  CHECK(held->policy == "guard");
  CHECK(held->rule == "hold-deletes");
  CHECK(held->fingerprint != 0);
  CHECK_FALSE(held->in_transaction);
  // Nothing of it was sent: a Terminate now would end the server's session cleanly.
  CHECK(s.seam.IdleForTerminate());

  CHECK(s.Release(HoldRelease::Forward()) == kDelete);
  CHECK(s.seam.state() == QueryState::kInQuery);
  CHECK_FALSE(s.seam.IdleForTerminate());
  std::string answer = pgwire::BuildCommandComplete("DELETE 1") + pgwire::BuildReadyForQuery('I');
  CHECK(s.Back(answer) == answer);
  CHECK(s.seam.state() == QueryState::kReady);
  // Each statement is decided: the same text is held again.
  CHECK(s.Front(kDelete).empty());
  CHECK(s.seam.state() == QueryState::kHeld);
}

TEST_CASE("hold: a refused Query fails where its result would be, with the given error", "[hold]") {
  Seam s;
  CHECK(s.Front(kDelete).empty());
  std::string out = s.Release(HoldRelease::Refuse("42501", "denied by alice: not on Fridays"));
  pgwire::ErrorResponse err = s.ClientErrorForQuery(out);
  CHECK(err.sqlstate() == "42501");
  CHECK(std::string(err.message()) == "denied by alice: not on Fridays");
  CHECK(s.Back(pgwire::BuildReadyForQuery('I')) == pgwire::BuildReadyForQuery('I'));
  CHECK(s.seam.state() == QueryState::kReady);
  // The session goes on.
  CHECK(s.Front(pgwire::BuildQuery("SELECT 1")) == pgwire::BuildQuery("SELECT 1"));
}

TEST_CASE("hold: inside a transaction the hold says so; released both ways", "[hold]") {
  for (bool forward : {true, false}) {
    Seam s;
    CHECK(s.Front(pgwire::BuildQuery("BEGIN")) == pgwire::BuildQuery("BEGIN"));
    s.Back(pgwire::BuildCommandComplete("BEGIN") + pgwire::BuildReadyForQuery('T'));
    CHECK(s.Front(kDelete).empty());
    REQUIRE(s.seam.held());
    CHECK(s.seam.held()->in_transaction);
    CHECK(s.seam.IdleForTerminate());  // idle in its transaction: a Terminate rolls it back
    if (forward) {
      CHECK(s.Release(HoldRelease::Forward()) == kDelete);
      s.Back(pgwire::BuildCommandComplete("DELETE 1") + pgwire::BuildReadyForQuery('T'));
    } else {
      // The replacement fails in the server, which aborts the transaction as any error would.
      std::string out = s.Release(HoldRelease::Refuse("42501", "denied by alice"));
      CHECK(s.ClientErrorForQuery(out).sqlstate() == "42501");
      CHECK(s.Back(pgwire::BuildReadyForQuery('E')) == pgwire::BuildReadyForQuery('E'));
    }
    CHECK(s.seam.state() == QueryState::kReady);
    CHECK(s.Front(pgwire::BuildQuery("COMMIT")) == pgwire::BuildQuery("COMMIT"));
  }
}

TEST_CASE("hold: an extended batch is parsed, bound and described; its Execute waits", "[hold]") {
  const std::string before = pgwire::BuildParse("del", "DELETE FROM orders WHERE id = $1") +
                             pgwire::BuildBind("", "del", {}, {std::string_view("42")}, {}) +
                             pgwire::BuildDescribe('P', "");
  const std::string execute = pgwire::BuildExecute("") + pgwire::BuildSync();
  for (bool forward : {true, false}) {
    for (size_t split = 0; split <= before.size() + execute.size(); split += 7) {
      Seam s;
      const std::string batch = before + execute;
      std::string out = s.Front(batch.substr(0, split));  // in order
      out += s.Front(batch.substr(split));
      CHECK(out == before);  // the bound parameter reached the server; nothing ran
      REQUIRE(s.seam.state() == QueryState::kHeld);
      CHECK(s.seam.held()->message_type == 'E');
      CHECK(s.seam.held()->statement == "DELETE FROM orders WHERE id = $1");
      std::string answer =
          pgwire::BuildParseComplete() + pgwire::BuildBindComplete() + pgwire::BuildNoData();
      CHECK(s.Back(answer) == answer);  // the answers to what was sent still arrive
      CHECK(s.seam.state() == QueryState::kHeld);
      if (forward) {
        CHECK(s.Release(HoldRelease::Forward()) == execute);
      } else {
        std::string released = s.Release(HoldRelease::Refuse("42501", "denied by bob"));
        auto r = pgwire::DecodeFrontend(released);
        REQUIRE(r.has_message());
        auto* e = std::get_if<pgwire::Execute>(&r.message());
        REQUIRE(e);
        CHECK(e->portal != "");  // a portal that cannot exist: the server fails it here
        CHECK(released.substr(r.consumed()) == pgwire::BuildSync());
        std::string err = s.Back(pgwire::BuildErrorResponse(
            "ERROR", "34000", "portal \"" + std::string(e->portal) + "\" does not exist"));
        auto d = pgwire::DecodeBackend(err);
        auto* er = std::get_if<pgwire::ErrorResponse>(&d.message());
        REQUIRE(er);
        CHECK(std::string(er->message()) == "denied by bob");
      }
    }
  }
}

TEST_CASE("hold: a statement prepared once is held at each execution", "[hold]") {
  Seam s;
  const std::string prepare =
      pgwire::BuildParse("del", "DELETE FROM orders WHERE id = $1") + pgwire::BuildSync();
  CHECK(s.Front(prepare) == prepare);
  s.Back(pgwire::BuildParseComplete() + pgwire::BuildReadyForQuery('I'));
  for (int i = 0; i < 2; ++i) {
    const std::string bind = pgwire::BuildBind("", "del", {}, {std::string_view("1")}, {});
    const std::string run = pgwire::BuildExecute("") + pgwire::BuildSync();
    CHECK(s.Front(bind + run) == bind);
    REQUIRE(s.seam.state() == QueryState::kHeld);
    CHECK(s.Release(HoldRelease::Forward()) == run);
    s.Back(pgwire::BuildBindComplete() + pgwire::BuildCommandComplete("DELETE 1") +
           pgwire::BuildReadyForQuery('I'));
    CHECK(s.seam.state() == QueryState::kReady);
  }
}

TEST_CASE("hold: a cancel withdraws the held statement with the cancel's error", "[hold]") {
  Seam s;
  CHECK(s.Front(kDelete).empty());
  pgwire::ErrorResponse err = s.ClientErrorForQuery(s.Release(HoldRelease::Cancelled()));
  CHECK(err.sqlstate() == "57014");
  CHECK_THAT(std::string(err.message()), Catch::StartsWith("canceling statement due to user"));
}

TEST_CASE("hold: a client that leaves (or a kill) drops the held bytes unsent", "[hold]") {
  Seam s;
  CHECK(s.Front(kDelete + pgwire::BuildQuery("SELECT 2")).empty());
  CHECK(s.seam.AbandonHold());
  CHECK_FALSE(s.seam.AbandonHold());
  CHECK(s.seam.state() == QueryState::kReady);
  CHECK(s.seam.IdleForTerminate());  // so the agent's Terminate is the only thing sent
  std::string out;
  CHECK(absl::IsFailedPrecondition(s.seam.ReleaseHold(HoldRelease::Forward(), &out)));
  CHECK(out.empty());
}

TEST_CASE("hold: messages pipelined behind a hold wait in order, then are decided", "[hold]") {
  Seam s;
  const std::string select = pgwire::BuildQuery("SELECT 2");
  const std::string drop = pgwire::BuildQuery("DROP TABLE customers");
  const std::string second = pgwire::BuildQuery("DELETE FROM orders WHERE id = 8");
  const std::string all = kDelete + select + drop + second;
  // Split at every byte: nothing reaches the database while the first DELETE waits.
  for (size_t split = 0; split <= all.size(); ++split) {
    Seam t;
    CHECK(t.Front(all.substr(0, split)).empty());
    CHECK(t.Front(all.substr(split)).empty());
    CHECK(t.seam.state() == QueryState::kHeld);
  }
  CHECK(s.Front(all).empty());
  // Forward: the DELETE and the SELECT go, the DROP is denied as it would have been, and the
  // second DELETE is held in its turn.
  std::string out = s.Release(HoldRelease::Forward());
  REQUIRE(out.substr(0, kDelete.size() + select.size()) == kDelete + select);
  CHECK(out.find("DROP") == std::string::npos);
  CHECK(out.find("id = 8") == std::string::npos);
  REQUIRE(s.seam.state() == QueryState::kHeld);
  CHECK(s.seam.held()->statement == "DELETE FROM orders WHERE id = 8");
  CHECK(s.Release(HoldRelease::Refuse("42501", "no")).find("id = 8") == std::string::npos);
  CHECK(s.seam.state() == QueryState::kInQuery);
}

TEST_CASE("hold: a client that pipelines past the bound ends its session", "[hold]") {
  Seam s;
  CHECK(s.Front(kDelete).empty());
  const std::string big = pgwire::BuildQuery("SELECT '" + std::string(1 << 20, 'x') + "'");
  absl::Status st;
  size_t sent = 0;
  while (st.ok() && sent <= agent::StatementHold::kDefaultMaxBytes) {
    std::string bytes = big;
    st = s.seam.FrontendBytes(&bytes);
    CHECK((!st.ok() || bytes.empty()));
    sent += big.size();
  }
  CHECK(absl::IsResourceExhausted(st));
  CHECK_THAT(std::string(st.message()), Catch::Contains("waiting for approval"));
}

TEST_CASE("hold: a policy that denies the statement meanwhile wins over forward", "[hold]") {
  Seam s;
  CHECK(s.Front(kDelete).empty());
  s.fixture.Install(R"(
name: guard
subjects: {identities: [claude]}
connections: [demo]
default_action: allow
rules:
  - {name: no-deletes, match: {commands: [DELETE]}, action: deny, message: not any more}
)",
                    2);
  pgwire::ErrorResponse err = s.ClientErrorForQuery(s.Release(HoldRelease::Forward()));
  CHECK_THAT(std::string(err.message()), Catch::Contains("not any more"));
}

TEST_CASE("hold: query states follow COPY in both directions", "[hold]") {
  Seam s;
  CHECK(s.Front(pgwire::BuildQuery("COPY t FROM STDIN")).size() > 0);
  CHECK(s.seam.state() == QueryState::kInQuery);
  s.Back(pgwire::BuildCopyInResponse(0, {0}));
  CHECK(s.seam.state() == QueryState::kCopyIn);
  s.Front(pgwire::BuildCopyData("1\n") + pgwire::BuildCopyDone());
  CHECK(s.seam.state() == QueryState::kInQuery);
  s.Back(pgwire::BuildCommandComplete("COPY 1") + pgwire::BuildReadyForQuery('I'));
  CHECK(s.seam.state() == QueryState::kReady);
  s.Front(pgwire::BuildQuery("COPY t TO STDOUT"));
  s.Back(pgwire::BuildCopyOutResponse(0, {0}) + pgwire::BuildCopyData("1\n"));
  CHECK(s.seam.state() == QueryState::kCopyOut);
  s.Back(pgwire::BuildCopyDone() + pgwire::BuildCommandComplete("COPY 1"));
  CHECK(s.seam.state() == QueryState::kInQuery);
  s.Back(pgwire::BuildReadyForQuery('I'));
  CHECK(s.seam.state() == QueryState::kReady);
}

TEST_CASE("hold: a portal runs what it was bound to, even after its statement name is reused",
          "[hold]") {
  Seam s;
  // The unnamed statement is parsed again after the Bind: the portal still runs the DELETE.
  const std::string before = pgwire::BuildParse("", "DELETE FROM orders WHERE id = $1") +
                             pgwire::BuildBind("p", "", {}, {std::string_view("1")}, {}) +
                             pgwire::BuildParse("", "SELECT 1");
  const std::string run = pgwire::BuildExecute("p") + pgwire::BuildSync();
  CHECK(s.Front(before + run) == before);
  REQUIRE(s.seam.state() == QueryState::kHeld);
  CHECK(s.seam.held()->statement == "DELETE FROM orders WHERE id = $1");
  // The same once the server confirmed the Parse and the Bind.
  Seam t;
  CHECK(t.Front(before) == before);
  t.Back(pgwire::BuildParseComplete() + pgwire::BuildBindComplete() + pgwire::BuildParseComplete());
  CHECK(t.Front(run).empty());
  CHECK(t.seam.state() == QueryState::kHeld);
}

TEST_CASE("hold: more named statements than the guard tracks end the session", "[hold]") {
  Seam s;
  absl::Status st;
  size_t n = 0;
  for (; st.ok() && n <= agent::StatementGuard::kMaxTracked; ++n) {
    std::string bytes = pgwire::BuildParse("s" + std::to_string(n), "SELECT 1");
    st = s.seam.FrontendBytes(&bytes);
    std::string answer = pgwire::BuildParseComplete();
    if (st.ok()) REQUIRE(s.seam.BackendBytes(&answer).ok());
  }
  CHECK(n == agent::StatementGuard::kMaxTracked + 1);
  CHECK(absl::IsResourceExhausted(st));
  CHECK_THAT(std::string(st.message()), Catch::Contains("named prepared statements"));
}

TEST_CASE("hold: each refusal's error is its own (marker 1 is not marker 10)", "[hold]") {
  Seam s;
  std::vector<std::string> outs;
  for (int i = 0; i < 11; ++i) {
    CHECK(s.Front(kDelete).empty());
    outs.push_back(s.Release(HoldRelease::Refuse("42501", "refusal " + std::to_string(i))));
  }
  // The server answers the eleventh first (say); it must not be taken for the second.
  CHECK(s.ClientErrorForQuery(outs[10]).message() == std::string_view("refusal 10"));
}

TEST_CASE("hold: SQL PREPARE passes, each EXECUTE of it is held", "[hold]") {
  Seam s;
  const std::string prepare = pgwire::BuildQuery("PREPARE del AS DELETE FROM orders WHERE id = $1");
  CHECK(s.Front(prepare) == prepare);
  s.Back(pgwire::BuildCommandComplete("PREPARE") + pgwire::BuildReadyForQuery('I'));
  const std::string execute = pgwire::BuildQuery("EXECUTE del(7)");
  CHECK(s.Front(execute).empty());
  REQUIRE(s.seam.state() == QueryState::kHeld);
  CHECK(s.seam.held()->rule == "hold-deletes");
  CHECK(s.Release(HoldRelease::Forward()) == execute);
}

TEST_CASE("hold: the estimate's EXPLAIN answer never reaches the client", "[hold]") {
  Seam s;
  CHECK(s.Front(kDelete).empty());
  const std::string explain = s.seam.StartEstimate("EXPLAIN (FORMAT JSON) DELETE ...", false);
  CHECK_FALSE(explain.empty());
  CHECK(s.seam.estimating());
  const std::string plan = R"([{"Plan": {"Node Type": "ModifyTable", "Plan Rows": 0}}])";
  // A notice the database sends meanwhile is the client's; the rest is the estimate's.
  const std::string notice = pgwire::BuildNoticeResponse("NOTICE", "00000", "hello");
  std::string answer = pgwire::BuildRowDescription({}) + notice +
                       pgwire::BuildDataRow({std::optional<std::string_view>(plan)}) +
                       pgwire::BuildCommandComplete("EXPLAIN") + pgwire::BuildReadyForQuery('I');
  CHECK(s.Back(answer) == notice);
  CHECK_FALSE(s.seam.estimating());
  REQUIRE(s.seam.estimate() != nullptr);
  CHECK(s.seam.estimate()->status().ok());
  REQUIRE(s.seam.estimate()->rows().size() == 1);
  CHECK(s.seam.estimate()->rows()[0][0] == plan);
  CHECK(s.seam.state() == QueryState::kHeld);  // still held: the estimate decides nothing
  CHECK(s.Release(HoldRelease::Forward()) == kDelete);
}

TEST_CASE("hold: a held Execute is estimated inside the client's request, with its values",
          "[hold]") {
  Seam s;
  const std::string seven("\0\0\0\7", 4);
  const std::string before = pgwire::BuildParse("", "DELETE FROM orders WHERE id = $1", {23}) +
                             pgwire::BuildBind("", "", {1}, {std::string_view(seven)}, {}) +
                             pgwire::BuildDescribe('P', "");
  const std::string run = pgwire::BuildExecute("") + pgwire::BuildSync();
  CHECK(s.Front(before + run) == before);
  REQUIRE(s.seam.state() == QueryState::kHeld);
  // Only the client's Parse, Bind and Describe are outstanding: they run nothing.
  CHECK(s.seam.database_activity() == agent::DatabaseActivity::kPreparing);
  const std::string answers =
      pgwire::BuildParseComplete() + pgwire::BuildBindComplete() + pgwire::BuildNoData();
  CHECK(s.Back(answers) == answers);
  CHECK(s.seam.ledger().size() == 0);

  const std::string sql = "EXPLAIN (FORMAT JSON, VERBOSE) DELETE FROM orders WHERE id = $1";
  std::string explain = s.seam.StartEstimate(sql, /*extended=*/true);
  CHECK(explain.find("warden_estimate_") != std::string::npos);
  CHECK(explain.find(seven) != std::string::npos);  // bound with the client's value
  CHECK(s.seam.estimating());
  const std::string plan = R"([{"Plan": {"Node Type": "ModifyTable", "Plan Rows": 0}}])";
  std::string answer = pgwire::BuildParseComplete() + pgwire::BuildBindComplete() +
                       pgwire::BuildDataRow({std::optional<std::string_view>(plan)}) +
                       pgwire::BuildCommandComplete("EXPLAIN") + pgwire::BuildCloseComplete() +
                       pgwire::BuildCloseComplete();
  CHECK(s.Back(answer).empty());  // all of it the estimate's
  CHECK_FALSE(s.seam.estimating());
  CHECK_FALSE(s.seam.estimate()->server_failed());
  REQUIRE(s.seam.estimate()->rows().size() == 1);
  CHECK(s.seam.estimate()->rows()[0][0] == plan);
  CHECK(s.Release(HoldRelease::Forward()) == run);
  CHECK(s.Back(pgwire::BuildCommandComplete("DELETE 1") + pgwire::BuildReadyForQuery('I')) ==
        pgwire::BuildCommandComplete("DELETE 1") + pgwire::BuildReadyForQuery('I'));
  CHECK(s.seam.state() == QueryState::kReady);
}

TEST_CASE("hold: a held Execute whose EXPLAIN fails fails as the client's, and never runs",
          "[hold]") {
  Seam s;
  const std::string before = pgwire::BuildParse("", "DELETE FROM orders WHERE id = 1 / 0") +
                             pgwire::BuildBind("", "", {}, {}, {});
  const std::string run = pgwire::BuildExecute("") + pgwire::BuildSync();
  CHECK(s.Front(before + run) == before);
  s.Back(pgwire::BuildParseComplete() + pgwire::BuildBindComplete());
  std::string explain =
      s.seam.StartEstimate("EXPLAIN (FORMAT JSON, VERBOSE) DELETE FROM orders WHERE id = 1 / 0",
                           /*extended=*/true);
  REQUIRE_FALSE(explain.empty());
  // Planning folds 1 / 0: the server fails the EXPLAIN and skips to the client's Sync.
  const std::string client =
      s.Back(pgwire::BuildParseComplete() + pgwire::BuildBindComplete() +
             pgwire::BuildErrorResponse("ERROR", "22012", "division by zero"));
  auto e = pgwire::DecodeBackend(client);
  REQUIRE(e.has_message());
  CHECK(e.consumed() == client.size());
  auto* err = std::get_if<pgwire::ErrorResponse>(&e.message());
  REQUIRE(err);
  CHECK(err->sqlstate() == "22012");
  CHECK_THAT(std::string(err->message()), Catch::StartsWith("statement not run:") &&
                                              Catch::EndsWith("(EXPLAIN): division by zero"));
  CHECK(s.seam.estimate()->server_failed());
  CHECK(s.seam.ledger().discarding());
  // The held Execute is dropped, the Sync goes: the client gets its ReadyForQuery.
  CHECK(s.Release(HoldRelease::Discard()) == pgwire::BuildSync());
  CHECK(s.Back(pgwire::BuildReadyForQuery('I')) == pgwire::BuildReadyForQuery('I'));
  CHECK(s.seam.state() == QueryState::kReady);

  // The statement the failed EXPLAIN left behind is closed by the next estimate, first.
  CHECK(s.Front(before + run) == before);
  s.Back(pgwire::BuildParseComplete() + pgwire::BuildBindComplete());
  const std::string next = s.seam.StartEstimate("EXPLAIN ...", /*extended=*/true);
  auto close = pgwire::DecodeFrontend(next);
  REQUIRE(close.has_message());
  REQUIRE(std::holds_alternative<pgwire::Close>(close.message()));
  CHECK(explain.find(std::get<pgwire::Close>(close.message()).name) != std::string::npos);
}
