// The classification cache key (common/sql/classify/constant_normalizer.h): constants fold,
// everything the scan does not fully model is keyed exactly (nullopt).
#include <catch2/catch.hpp>

#include "common/sql/classify/classifier.h"
#include "common/sql/classify/constant_normalizer.h"

using warden::sql::NormalizeConstants;

TEST_CASE("constant normalizer: integers fold to one key, strings stay", "[sql][cache]") {
  CHECK(NormalizeConstants("SELECT abalance FROM pgbench_accounts WHERE aid = 4711;") ==
        "SELECT abalance FROM pgbench_accounts WHERE aid = 0;");
  CHECK(NormalizeConstants("SELECT abalance FROM pgbench_accounts WHERE aid = 42;") ==
        NormalizeConstants("SELECT abalance FROM pgbench_accounts WHERE aid = 99999;"));
  CHECK(NormalizeConstants("UPDATE t SET name = 'bob 42', n = n+1 WHERE id IN (1,2,3)") ==
        "UPDATE t SET name = 'bob 42', n = n+0 WHERE id IN (0,0,0)");
  // Strings are never folded: a file name must never share a key with another.
  CHECK(NormalizeConstants("SELECT pg_read_file('/etc/passwd', 0, 9)") ==
        "SELECT pg_read_file('/etc/passwd', 0, 0)");
  // Parameters, names with digits, quoted identifiers and decimals are kept.
  CHECK(NormalizeConstants("SELECT c1 FROM t2 WHERE x = $1 AND \"Col 9\" = 7") ==
        "SELECT c1 FROM t2 WHERE x = $1 AND \"Col 9\" = 0");
  CHECK(NormalizeConstants("SELECT 1.5, 2.25 * x") == "SELECT 1.0, 2.0 * x");
  CHECK(NormalizeConstants("SELECT 1.5e3") == "SELECT 1.5e3");
  CHECK(NormalizeConstants("SELECT \"a\"\"b\" FROM t") == "SELECT \"a\"\"b\" FROM t");
  // Operators the scan looks at twice ('-', '/', '&') and digits inside names, in runs of
  // characters copied at once.
  CHECK(NormalizeConstants("SELECT a-1, b/22, c&3, t1.col123 - 45 FROM t9") ==
        "SELECT a-0, b/0, c&0, t1.col123 - 0 FROM t9");
  CHECK(NormalizeConstants("SELECT x-") == "SELECT x-");
  CHECK(NormalizeConstants("SELECT 7/") == "SELECT 0/");
  CHECK(NormalizeConstants("x1 2 _3 $4 5") == "x1 0 _3 $4 0");
  // Bytes >= 0x80 continue a name, as in PostgreSQL's lexer: a digit after one is part of the
  // name, and a number right before one is not a whole constant.
  CHECK(NormalizeConstants("SELECT caf\xC3\xA9"
                           "1, 2\xC3\xA9, 3 FROM t") ==
        "SELECT caf\xC3\xA9"
        "1, 2\xC3\xA9, 0 FROM t");
}

TEST_CASE("constant normalizer: what it does not model is keyed exactly", "[sql][cache]") {
  for (const char* sql : {
           "SELECT 1 -- it's a comment\n; DROP TABLE x; --'",
           "SELECT 1 /* ' */ ; DROP TABLE x",
           "SELECT E'\\' ; DROP TABLE x; --'",
           "SELECT 'a\\'",
           "SELECT $$ ' $$",
           "SELECT $tag$x$tag$",
           "SELECT 'it''s'",
           "SELECT 'unterminated",
           "SELECT \"unterminated",
           "SELECT U&'\\0041'",
           "SELECT * FROM U&\"d!0061ta\" UESCAPE '!'",
           "SELECT B'101', X'1F'",
           "SELECT N'x'",
           "EXPLAIN (ANALYZE 0) DELETE FROM t",
           "explain (analyze 'off') DELETE FROM t",
           // HEADER 0 or 1: whether the first row is names or masked data.
           "COPY (SELECT ssn FROM people) TO STDOUT (FORMAT csv, HEADER 1)",
           "copy people to stdout with (format csv, header 0)",
           // Anywhere, in any case, even inside a name: the scan does not lex words.
           "SELECT unexplained FROM t WHERE n = 1",
           "SELECT 1 FROM hardCOPY",
           "SELECT 1 AS UEscape",
       }) {
    INFO(sql);
    CHECK_FALSE(NormalizeConstants(sql).has_value());
  }
}

TEST_CASE("constant normalizer: a text and its key classify alike", "[sql][cache]") {
  for (const char* sql : {
           "SELECT abalance FROM pgbench_accounts WHERE aid = 4711",
           "UPDATE pgbench_accounts SET abalance = abalance + -4242 WHERE aid = 17",
           "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 2, 3, 4, "
           "CURRENT_TIMESTAMP)",
           "DELETE FROM orders WHERE id = 5; SELECT pg_sleep(10)",
           "WITH d AS (DELETE FROM t WHERE id = 3 RETURNING *) SELECT * FROM d",
           "SELECT lo_unlink(424242)",
           "SELECT pg_read_file('/etc/passwd', 0, 100)",
           "SET statement_timeout = 5000",
           "SELECT * FROM t ORDER BY 1 LIMIT 10 OFFSET 20",
       }) {
    INFO(sql);
    auto key = NormalizeConstants(sql);
    REQUIRE(key.has_value());
    auto a = warden::sql::Classify(sql);
    auto b = warden::sql::Classify(*key);
    REQUIRE(a.parsed);
    REQUIRE(b.parsed);
    REQUIRE(a.statements.size() == b.statements.size());
    for (size_t i = 0; i < a.statements.size(); ++i) {
      CHECK(a.statements[i].command_tag == b.statements[i].command_tag);
      CHECK(a.statements[i].statement_class == b.statements[i].statement_class);
      CHECK(a.statements[i].relations_read == b.statements[i].relations_read);
      CHECK(a.statements[i].relations_written == b.statements[i].relations_written);
      CHECK(a.statements[i].functions == b.statements[i].functions);
      CHECK(a.statements[i].opaque == b.statements[i].opaque);
    }
  }
}
