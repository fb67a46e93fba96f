// Splitting a text into statements as the parser sees them (common/sql/parse/statement_split.h).
#include <catch2/catch.hpp>

#include "common/sql/parse/statement_split.h"

using warden::sql::SplitStatements;

TEST_CASE("statement split: semicolons in strings, dollar quotes and comments do not split") {
  auto s = SplitStatements(
      "SELECT 'a;b';  -- c;d\n SELECT $$x;y$$ ;;\n/* e;f */ DELETE FROM t WHERE a = ';'");
  REQUIRE(s.ok());
  REQUIRE(s->size() == 3);
  CHECK((*s)[0] == "SELECT 'a;b'");
  // A comment between statements stays with the statement after it, as the parser locates it.
  CHECK((*s)[1] == "-- c;d\n SELECT $$x;y$$");
  CHECK((*s)[2].find("DELETE FROM t WHERE a = ';'") != std::string::npos);
}

TEST_CASE("statement split: a text the parser rejects is split by the scanner") {
  auto s = SplitStatements("SELEC 1; SELECT 2");
  REQUIRE(s.ok());
  REQUIRE(s->size() == 2);
  CHECK((*s)[0] == "SELEC 1");
  CHECK((*s)[1] == "SELECT 2");
  auto unterminated = SplitStatements("SELECT 'a; SELECT 1");
  REQUIRE(unterminated.ok());
  CHECK(unterminated->size() == 1);
  auto empty = SplitStatements(" ;; ");
  REQUIRE(empty.ok());
  CHECK(empty->empty());
}
