// The session's one request ledger: effects apply only when the server confirms their request,
// errors skip what the server skips, the query state follows both directions, and each
// statement run leaves the facts a recording needs.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "agent/postgres/request_ledger.h"
#include "common/pgwire/pgwire.h"

namespace pgwire = warden::pgwire;
using warden::agent::LedgerEffect;
using warden::agent::LedgerListener;
using warden::agent::QueryState;
using warden::agent::RequestAction;
using warden::agent::RequestLedger;
using warden::agent::RequestNote;
using warden::agent::StatementFacts;

namespace {

LedgerEffect Named(std::string name) {
  LedgerEffect e;
  e.kind = LedgerEffect::Kind::kStatement;
  e.name = std::move(name);
  return e;
}

RequestNote With(std::vector<std::string> names) {
  RequestNote note;
  for (std::string& n : names) note.effects.push_back(n.empty() ? LedgerEffect{} : Named(n));
  return note;
}

struct Listener : LedgerListener {
  std::vector<std::string> applied;
  std::string ready;  // the transaction status of each ReadyForQuery
  void OnConfirmed(LedgerEffect&& e) override { applied.push_back(e.name); }
  void OnReadyForQuery(char status) override { ready.push_back(status ? status : '?'); }
};

struct Fixture {
  std::chrono::steady_clock::time_point now{};
  RequestLedger ledger{nullptr, [this] { return now; }};
  Listener listener;
  std::vector<StatementFacts> facts;
  std::vector<std::string> texts;  // facts' texts, kept past the call
  std::vector<std::string> tags;

  Fixture() { ledger.set_listener(&listener); }
  void Record() {
    ledger.set_facts_sink([this](const StatementFacts& f) {
      facts.push_back(f);
      texts.emplace_back(f.sql);
      tags.emplace_back(f.command_tag);
    });
  }
  void Client(const std::string& message, RequestNote note = {}) {
    REQUIRE(
        ledger.OnClientMessage(message[0], std::string_view(message).substr(5), std::move(note)));
  }
  // Server messages, whole.
  void Server(const std::string& bytes) {
    for (std::string_view rest = bytes; !rest.empty();) {
      const size_t size = size_t{pgwire::LoadBigEndian32(rest.data() + 1)} + 1;
      ledger.OnServerMessage(rest[0], rest.substr(5, size - 5), size, /*whole=*/true);
      rest.remove_prefix(size);
    }
  }
  // Server messages by tag alone (as a guard on its own ledger sees them).
  void Tags(const std::string& tags) {
    for (char t : tags) ledger.OnServerMessage(t, {}, 0, /*whole=*/false);
  }
};

}  // namespace

TEST_CASE("ledger: confirmations apply in order; an error skips to the Sync", "[ledger]") {
  Fixture f;
  f.Client(pgwire::BuildParse("a", "SELECT 1"), With({"a"}));
  f.Client(pgwire::BuildBind("", "a", {}, {}, {}));
  f.Client(pgwire::BuildDescribe('P', ""));
  f.Client(pgwire::BuildExecute(""));
  f.Client(pgwire::BuildSync());
  f.Client(pgwire::BuildParse("b", "SELECT 2"), With({"b"}));
  f.Client(pgwire::BuildParse("c", "SELECT 3"), With({"c"}));
  f.Client(pgwire::BuildSync());
  CHECK(f.ledger.awaiting_ready() == 2);
  CHECK(f.ledger.Pending(LedgerEffect::Kind::kStatement, "c") != nullptr);
  CHECK(f.ledger.state(false) == QueryState::kInQuery);
  // First batch succeeds; in the second, b's Parse fails and c is skipped.
  f.Tags("12TDCZ");
  CHECK(f.listener.applied == std::vector<std::string>{"a"});
  CHECK(f.ledger.awaiting_ready() == 1);
  f.Tags("EZ");
  CHECK(f.listener.applied == std::vector<std::string>{"a"});
  CHECK(f.ledger.awaiting_ready() == 0);
  CHECK(f.ledger.size() == 0);
  CHECK(f.ledger.Pending(LedgerEffect::Kind::kStatement, "c") == nullptr);
  CHECK(f.ledger.state(false) == QueryState::kReady);
}

TEST_CASE("ledger: a Query's statements complete one by one until an error", "[ledger]") {
  Fixture f;
  // A ReadyForQuery nobody asked for (start-up's) answers nothing.
  f.Server(pgwire::BuildReadyForQuery('I'));
  CHECK(f.ledger.size() == 0);
  f.Client(pgwire::BuildQuery("SELECT 1; SELECT 2; SELECT 3"), With({"s0", "s1", "s2"}));
  f.Tags("TDCC");
  f.Server(pgwire::BuildErrorResponse("ERROR", "22012", "division by zero"));
  f.Server(pgwire::BuildReadyForQuery('T'));
  CHECK(f.listener.applied == std::vector<std::string>{"s0", "s1"});
  CHECK(f.listener.ready == "IT");
  CHECK(f.ledger.size() == 0);
}

TEST_CASE("ledger: a suspended or empty Execute confirms nothing", "[ledger]") {
  Fixture f;
  f.Client(pgwire::BuildExecute("p", 10), With({"x"}));
  f.Client(pgwire::BuildExecute("p"), With({"y"}));
  f.Client(pgwire::BuildSync());
  f.Tags("DsDCZ");
  CHECK(f.listener.applied == std::vector<std::string>{"y"});
}

TEST_CASE("ledger: the query state follows both directions", "[ledger]") {
  Fixture f;
  CHECK(f.ledger.state(false) == QueryState::kReady);
  CHECK(f.ledger.state(true) == QueryState::kHeld);
  f.Client(pgwire::BuildQuery("COPY t FROM STDIN"));
  CHECK(f.ledger.state(false) == QueryState::kInQuery);
  f.Server(pgwire::BuildCopyInResponse(0, {0}));
  CHECK(f.ledger.state(false) == QueryState::kCopyIn);
  f.Client(pgwire::BuildCopyData("1\n"));
  f.Client(pgwire::BuildCopyDone());
  CHECK(f.ledger.state(false) == QueryState::kInQuery);
  f.Server(pgwire::BuildCommandComplete("COPY 1") + pgwire::BuildReadyForQuery('I'));
  CHECK(f.ledger.state(false) == QueryState::kReady);
  f.Client(pgwire::BuildQuery("COPY t TO STDOUT"));
  f.Server(pgwire::BuildCopyOutResponse(0, {0}) + pgwire::BuildCopyData("1\n"));
  CHECK(f.ledger.state(false) == QueryState::kCopyOut);
  f.Server(pgwire::BuildCopyDone() + pgwire::BuildCommandComplete("COPY 1"));
  CHECK(f.ledger.state(false) == QueryState::kInQuery);
  f.Server(pgwire::BuildReadyForQuery('I'));
  // Extended messages without their Sync leave a query open; Flush too.
  f.Client(pgwire::BuildFlush());
  CHECK(f.ledger.state(false) == QueryState::kInQuery);
  f.Client(pgwire::BuildSync());
  f.Server(pgwire::BuildReadyForQuery('I'));
  CHECK(f.ledger.state(false) == QueryState::kReady);
  CHECK_FALSE(f.ledger.terminated());
  f.Client(pgwire::BuildTerminate());
  CHECK(f.ledger.terminated());
}

TEST_CASE("ledger: each statement leaves the facts a recording needs", "[ledger]") {
  Fixture f;
  f.Record();
  using std::chrono::milliseconds;
  f.Client(pgwire::BuildQuery("SELECT 1; SELECT 2"));
  f.now += milliseconds(5);
  f.Server(pgwire::BuildRowDescription({}) + pgwire::BuildDataRow({"1"}) +
           pgwire::BuildCommandComplete("SELECT 1"));
  f.now += milliseconds(2);
  f.Server(pgwire::BuildDataRow({"2"}) + pgwire::BuildDataRow({"2"}) +
           pgwire::BuildCommandComplete("SELECT 2") + pgwire::BuildReadyForQuery('I'));
  REQUIRE(f.facts.size() == 2);
  CHECK(f.facts[0].request == 'Q');
  CHECK(f.texts[0] == "SELECT 1; SELECT 2");
  CHECK(f.facts[0].index == 0);
  CHECK(f.tags[0] == "SELECT 1");
  CHECK(f.facts[0].rows == 1);
  CHECK(f.facts[0].duration == milliseconds(5));
  CHECK(f.facts[0].bytes == pgwire::BuildRowDescription({}).size() +
                                pgwire::BuildDataRow({"1"}).size() +
                                pgwire::BuildCommandComplete("SELECT 1").size());
  CHECK(f.facts[1].index == 1);
  CHECK(f.tags[1] == "SELECT 2");
  CHECK(f.facts[1].rows == 2);
  CHECK(f.facts[1].duration == milliseconds(2));  // from the end of the statement before it
  CHECK(f.facts[1].sqlstate.empty());

  // An Execute that fails: its SQLSTATE; the statement text is the sender's.
  RequestNote note;
  note.statement = "DELETE FROM t WHERE id = $1";
  f.Client(pgwire::BuildExecute(""), std::move(note));
  f.Client(pgwire::BuildSync());
  f.now += milliseconds(1);
  f.Server(pgwire::BuildErrorResponse("ERROR", "23503", "violates foreign key constraint") +
           pgwire::BuildReadyForQuery('I'));
  REQUIRE(f.facts.size() == 3);
  CHECK(f.facts[2].request == 'E');
  CHECK(f.texts[2] == "DELETE FROM t WHERE id = $1");
  CHECK(f.facts[2].sqlstate == "23503");
  CHECK(f.tags[2].empty());

  // A denial's stand-in: the rule that refused it, and the error the client got.
  f.Client(pgwire::BuildQuery("SELECT warden_denied"),
           RequestNote{RequestAction::kReplaceError, "no-drop"});
  f.Server(pgwire::BuildErrorResponse("ERROR", "42501", "denied") +
           pgwire::BuildReadyForQuery('I'));
  REQUIRE(f.facts.size() == 4);
  CHECK(f.facts[3].action == RequestAction::kReplaceError);
  CHECK(f.facts[3].rule == "no-drop");
  CHECK(f.facts[3].sqlstate == "42501");
}

TEST_CASE("ledger: a client pipelining without reading ends at the bound", "[ledger]") {
  RequestLedger l;
  const std::string sync = pgwire::BuildSync();
  size_t accepted = 0;
  while (accepted <= RequestLedger::kMaxEntries &&
         l.OnClientMessage('S', std::string_view(sync).substr(5))) {
    ++accepted;
  }
  CHECK(accepted == RequestLedger::kMaxEntries);
}

TEST_CASE("ledger: Syncs the client sent into a COPY FROM STDIN are the server's to ignore",
          "[ledger]") {
  // libpq's PQexecParams("COPY ... FROM STDIN"): P B D E S, then after CopyInResponse the data,
  // CopyDone and a second Sync. The first Sync reaches the server in copy-in mode, which ignores
  // it: one ReadyForQuery answers both.
  Fixture f;
  f.Client(pgwire::BuildParse("", "COPY t FROM STDIN"));
  f.Client(pgwire::BuildBind("", "", {}, {}, {}));
  f.Client(pgwire::BuildDescribe('P', ""));
  f.Client(pgwire::BuildExecute(""));
  f.Client(pgwire::BuildSync());
  f.Server(pgwire::BuildParseComplete() + pgwire::BuildBindComplete() + pgwire::BuildNoData() +
           pgwire::BuildCopyInResponse(0, {0}));
  CHECK(f.ledger.state(false) == QueryState::kCopyIn);
  f.Client(pgwire::BuildCopyData("1\n"));
  f.Client(pgwire::BuildSync());  // sent during copy-in: ignored by the server too
  f.Client(pgwire::BuildCopyDone());
  f.Client(pgwire::BuildSync());
  f.Server(pgwire::BuildCommandComplete("COPY 1") + pgwire::BuildReadyForQuery('I'));
  CHECK(f.ledger.size() == 0);
  CHECK(f.ledger.awaiting_ready() == 0);
  CHECK(f.ledger.state(false) == QueryState::kReady);
  // The next exchange's answers confirm its own requests, not a stale Sync's.
  f.Client(pgwire::BuildParse("a", "SELECT 1"), With({"a"}));
  f.Client(pgwire::BuildSync());
  f.Server(pgwire::BuildParseComplete() + pgwire::BuildReadyForQuery('I'));
  CHECK(f.listener.applied == std::vector<std::string>{"a"});
  CHECK(f.ledger.size() == 0);

  // The same with the client's CopyDone and Sync pipelined before the CopyInResponse arrives.
  f.Client(pgwire::BuildParse("", "COPY t FROM STDIN"));
  f.Client(pgwire::BuildBind("", "", {}, {}, {}));
  f.Client(pgwire::BuildExecute(""));
  f.Client(pgwire::BuildSync());
  f.Client(pgwire::BuildCopyData("1\n"));
  f.Client(pgwire::BuildCopyDone());
  f.Client(pgwire::BuildSync());
  f.Server(pgwire::BuildParseComplete() + pgwire::BuildBindComplete() +
           pgwire::BuildCopyInResponse(0, {0}) + pgwire::BuildCommandComplete("COPY 1") +
           pgwire::BuildReadyForQuery('I'));
  CHECK(f.ledger.size() == 0);
  CHECK(f.ledger.state(false) == QueryState::kReady);
}

TEST_CASE("ledger: after an extended-protocol error the server discards everything until Sync",
          "[ledger]") {
  Fixture f;
  // A Query pipelined behind a failing Parse is discarded too: the ReadyForQuery answers the
  // Sync, and nothing stale is left to take the next exchange's answers.
  f.Client(pgwire::BuildParse("", "SELEC 1"));
  f.Client(pgwire::BuildQuery("SELECT 1"));
  f.Client(pgwire::BuildSync());
  f.Server(pgwire::BuildErrorResponse("ERROR", "42601", "syntax error") +
           pgwire::BuildReadyForQuery('I'));
  CHECK(f.ledger.size() == 0);
  f.Client(pgwire::BuildParse("s1", "DELETE FROM t"), With({"s1"}));
  f.Client(pgwire::BuildSync());
  f.Server(pgwire::BuildParseComplete() + pgwire::BuildReadyForQuery('I'));
  CHECK(f.listener.applied == std::vector<std::string>{"s1"});

  // The error comes before the client sent its Sync: what it sends meanwhile is discarded.
  f.Client(pgwire::BuildParse("", "SELEC 1"));
  f.Server(pgwire::BuildErrorResponse("ERROR", "42601", "syntax error"));
  f.Client(pgwire::BuildParse("s2", "SELECT 2"), With({"s2"}));
  f.Client(pgwire::BuildQuery("SELECT 3"));
  CHECK(f.ledger.size() == 0);
  f.Client(pgwire::BuildSync());
  f.Server(pgwire::BuildReadyForQuery('I'));
  CHECK(f.ledger.size() == 0);
  CHECK(f.ledger.state(false) == QueryState::kReady);
  CHECK(f.listener.applied == std::vector<std::string>{"s1"});
}

TEST_CASE("ledger: portals end with their transaction and closed names are forgotten", "[ledger]") {
  Fixture f;
  auto run_portal = [&f](const std::string& portal) {
    f.Client(pgwire::BuildExecute(portal));
    f.Client(pgwire::BuildSync());
    auto* shape = f.ledger.OnServerMessage('D', {}, 0, /*whole=*/false);
    f.Server(pgwire::BuildCommandComplete("SELECT 1") + pgwire::BuildReadyForQuery('T'));
    return shape && shape->lineage != nullptr;
  };
  f.Client(pgwire::BuildQuery("BEGIN"));
  f.Server(pgwire::BuildCommandComplete("BEGIN") + pgwire::BuildReadyForQuery('T'));
  f.Client(pgwire::BuildParse("s", "SELECT 'x'::text AS a"));
  f.Client(pgwire::BuildBind("c", "s", {}, {}, {}));
  f.Client(pgwire::BuildSync());
  f.Server(pgwire::BuildParseComplete() + pgwire::BuildBindComplete() +
           pgwire::BuildReadyForQuery('T'));
  CHECK(run_portal("c"));  // in its transaction: the statement it was bound to
  f.Client(pgwire::BuildQuery("COMMIT"));
  f.Server(pgwire::BuildCommandComplete("COMMIT") + pgwire::BuildReadyForQuery('I'));
  CHECK_FALSE(run_portal("c"));  // gone with it: a cursor of that name is another's rows

  // Close: a statement name closed is no longer the statement it was.
  f.Client(pgwire::BuildClose('S', "s"));
  f.Client(pgwire::BuildSync());
  f.Server(pgwire::BuildCloseComplete() + pgwire::BuildReadyForQuery('I'));
  f.Client(pgwire::BuildBind("d", "s", {}, {}, {}));
  f.Client(pgwire::BuildSync());
  f.Server(pgwire::BuildBindComplete() + pgwire::BuildReadyForQuery('T'));
  CHECK_FALSE(run_portal("d"));
}
