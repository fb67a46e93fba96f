// The statement guard's size limit: a text longer than the limit is refused before it is parsed.
#include <catch2/catch.hpp>

#include "guard_fixtures.h"

using guard_fixtures::DenialFor;
using guard_fixtures::Fixture;
using namespace warden;

TEST_CASE("guard: a statement longer than the limit is refused unparsed", "[guard]") {
  Fixture f;
  f.guard.set_max_statement_bytes(1024);
  const std::string big = "SELECT '" + std::string(1100, 'x') + "'";
  const size_t cached = f.cache.size();
  std::string out = f.Front(pgwire::BuildQuery(big));
  CHECK(f.cache.size() == cached);  // never parsed
  CHECK_THAT(DenialFor(f, out),
             Catch::Contains("rule \"statement-size\": the statement is 1109 bytes, more than "
                             "this agent's limit of 1024"));
  f.Back(pgwire::BuildReadyForQuery('I'));
  // At the limit it is decided as usual.
  const std::string fits = "SELECT '" + std::string(1024 - 9, 'x') + "'";
  REQUIRE(fits.size() == 1024);
  CHECK(f.Front(pgwire::BuildQuery(fits)) == pgwire::BuildQuery(fits));
  CHECK(f.guard.counters().denied == 1);
}
