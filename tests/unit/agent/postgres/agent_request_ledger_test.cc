// The statement guard's ledger of unanswered requests: effects apply only when the server
// confirms their request, and errors skip what the server skips.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "agent/postgres/request_ledger.h"

using warden::agent::LedgerEffect;
using warden::agent::RequestLedger;
using Await = RequestLedger::Await;

namespace {

LedgerEffect Named(std::string name) {
  LedgerEffect e;
  e.kind = LedgerEffect::Kind::kStatement;
  e.name = std::move(name);
  return e;
}

std::vector<std::string> Feed(RequestLedger& l, const std::string& tags) {
  std::vector<std::string> applied;
  for (char t : tags) l.OnServerMessage(t, [&](LedgerEffect&& e) { applied.push_back(e.name); });
  return applied;
}

}  // namespace

TEST_CASE("ledger: confirmations apply in order; an error skips to the Sync", "[ledger]") {
  RequestLedger l;
  REQUIRE(l.Expect(Await::kParseComplete, Named("a")));
  REQUIRE(l.Expect(Await::kBindComplete));
  REQUIRE(l.Expect(Await::kCompletion));
  REQUIRE(l.Expect(Await::kReady));
  REQUIRE(l.Expect(Await::kParseComplete, Named("b")));
  REQUIRE(l.Expect(Await::kParseComplete, Named("c")));
  REQUIRE(l.Expect(Await::kReady));
  CHECK(l.awaiting_ready() == 2);
  CHECK(l.Pending(LedgerEffect::Kind::kStatement, "c") != nullptr);
  // First batch succeeds; in the second, b's Parse fails and c is skipped.
  CHECK(Feed(l, "12DCZ") == std::vector<std::string>{"a"});
  CHECK(l.awaiting_ready() == 1);
  CHECK(Feed(l, "EZ").empty());
  CHECK(l.awaiting_ready() == 0);
  CHECK(l.size() == 0);
  CHECK(l.Pending(LedgerEffect::Kind::kStatement, "c") == nullptr);
}

TEST_CASE("ledger: a Query's statements complete one by one until an error", "[ledger]") {
  RequestLedger l;
  REQUIRE(l.Expect(Await::kCompletion, Named("s0")));
  REQUIRE(l.Expect(Await::kCompletion, Named("s1")));
  REQUIRE(l.Expect(Await::kCompletion, Named("s2")));
  REQUIRE(l.Expect(Await::kReady));
  CHECK(Feed(l, "TDCCEZ") == std::vector<std::string>{"s0", "s1"});
  // A ReadyForQuery nobody asked for (start-up's) changes nothing.
  REQUIRE(l.Expect(Await::kCompletion, Named("later")));
  CHECK(Feed(l, "Z").empty());
  CHECK(l.size() == 1);
  CHECK(Feed(l, "C") == std::vector<std::string>{"later"});
}

TEST_CASE("ledger: a suspended or empty Execute confirms nothing", "[ledger]") {
  RequestLedger l;
  REQUIRE(l.Expect(Await::kCompletion, Named("x")));
  REQUIRE(l.Expect(Await::kCompletion, Named("y")));
  REQUIRE(l.Expect(Await::kReady));
  CHECK(Feed(l, "sCZ") == std::vector<std::string>{"y"});
}
