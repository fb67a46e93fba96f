// The classifier reads libpg_query's JSON parse tree (json_tree_reader.h) instead of its slower
// protobuf output. Both must give the same tree, or a rule could be decided on something the
// parser did not say: checked over the whole statement corpus and texts chosen to reach every
// kind of JSON value the printer writes.
#include <google/protobuf/util/message_differencer.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "common/sql/parse/json_tree_reader.h"
#include "common/sql/parse/parse_tree.h"
#include "tests/unit/common/sql/sql_corpus.h"

namespace warden::sql {
namespace {

// Parses `sql` both ways; fails the test unless the trees (or the errors) are the same.
void CheckSameTree(const std::string& sql) {
  INFO("sql: " << sql);
  google::protobuf::Arena arena;
  std::string json_error, pb_error;
  const pg_query::ParseResult* json = ParseTree(sql, &arena, &json_error);
  const pg_query::ParseResult* pb = ParseTreeViaProtobuf(sql, &arena, &pb_error);
  REQUIRE((json == nullptr) == (pb == nullptr));
  if (json == nullptr) {
    CHECK(json_error == pb_error);
    return;
  }
  std::string diff;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&diff);
  CHECK(differencer.Compare(*pb, *json));
  CHECK(diff.empty());
}

}  // namespace

TEST_CASE("parse tree: JSON and protobuf agree on the whole corpus", "[sql]") {
  for (const sql_corpus::Case& c : sql_corpus::Load()) CheckSameTree(c.sql);
}

TEST_CASE("parse tree: JSON and protobuf agree on every kind of value", "[sql]") {
  const std::vector<std::string> texts = {
      // strings and identifiers with every escape the printer writes, and raw bytes
      "SELECT 'quote\"back\\\\slash', E'tab\\tnl\\ncr\\rbell\\x07nul-ish\\x01', \"Mixed\"\"Q\"",
      "SELECT 'caf\xc3\xa9', 'latin1 caf\xe9', U&'\\00e9\\+01F600', '\xf0\x9f\x98\x80'",
      "SELECT $q$ {\"json\": [1, 2]} $q$, '{}', '[', ']', ':', ','",
      // numbers: large, negative, floating, hexadecimal-free bit strings
      "FETCH 9223372036854775807 FROM c",
      "FETCH BACKWARD 5 FROM c",
      "SELECT -5, -2147483648, 2147483647, 9223372036854775807, 1.5e300, -0.0, .5",
      "SELECT x'ff', b'1010', 1::numeric(10, -2), interval '1' second(3)",
      "SELECT ARRAY[-1, 2][1:2], '{1,2}'::int[][], NULL::text[3]",
      // booleans, NULL and enum-valued fields of many node types
      "SELECT true, false, NULL, 1 IS NOT DISTINCT FROM 2, a IS NOT TRUE FROM t",
      "SELECT * FROM a NATURAL FULL JOIN b LEFT JOIN c USING (id) CROSS JOIN LATERAL f() g",
      "SELECT DISTINCT ON (a) a FROM t ORDER BY a DESC NULLS LAST, b USING < "
      "FETCH FIRST 3 ROWS WITH TIES",
      "SELECT rank() OVER w FROM t WINDOW w AS (ORDER BY a ROWS BETWEEN 1 PRECEDING AND "
      "CURRENT ROW EXCLUDE TIES)",
      "INSERT INTO t OVERRIDING SYSTEM VALUE VALUES (DEFAULT) ON CONFLICT ON CONSTRAINT c DO "
      "NOTHING",
      "CREATE TABLE p (a int GENERATED ALWAYS AS IDENTITY, b text COLLATE \"C\" NOT NULL) "
      "PARTITION BY RANGE (a)",
      "ALTER TABLE t ALTER COLUMN a SET DATA TYPE bigint USING a::bigint, DROP CONSTRAINT c "
      "CASCADE",
      "GRANT SELECT (a, b) ON t TO PUBLIC WITH GRANT OPTION",
      "CREATE FUNCTION f(INOUT a int, VARIADIC b int[]) RETURNS SETOF record STRICT IMMUTABLE "
      "LANGUAGE sql AS 'SELECT 1'",
      "SELECT xmlelement(name a, xmlattributes(1 AS b)), json_agg(x ORDER BY y) FILTER (WHERE z)",
      "LOCK t IN SHARE ROW EXCLUSIVE MODE NOWAIT; SET LOCAL TIME ZONE -7; SHOW ALL",
      // several statements, comments, empty statements
      "/* a */ SELECT 1; -- b\n; ; SELECT 2 /* c /* nested */ */",
      "",
      // rejected text: the same error either way
      "SELECT * FROM",
  };
  for (const std::string& sql : texts) CheckSameTree(sql);
}

TEST_CASE("JSON reader: malformed or unexpected JSON is refused", "[sql]") {
  auto read = [](std::string_view json, int depth = 100) {
    pg_query::ParseResult tree;
    std::string error;
    const bool ok = ReadJsonTree(json, depth, &tree, &error);
    return ok ? std::string("ok") : error;
  };
  CHECK(read(R"({"version":150001,"stmts":[]})") == "ok");
  CHECK(read(R"( { "version" : 1 , "unknown" : {"a": [1, "x", null, true]} } )") == "ok");
  const std::string bad = "parse tree could not be decoded";
  CHECK(read("") == bad);
  CHECK(read(R"({"version":150001)") == bad);
  CHECK(read(R"({"version":150001}x)") == bad);
  CHECK(read(R"({"version":"x"})") == bad);
  CHECK(read(R"({"version":99999999999})") == bad);
  CHECK(read(R"({"stmts":[{"stmt":{"SelectStmt":{"op":"NO_SUCH_OP"}}}]})") == bad);
  CHECK(read(R"({"stmts":[{"stmt":{"SelectStmt":{"all":"yes"}}}]})") == bad);
  CHECK(read(R"({"stmts":[{"stmt":{"String":{"sval":"\q"}}}]})") == bad);
  CHECK(read(R"({"stmts":[{"stmt":{"String":{"sval":"\u00"}}}]})") == bad);
  CHECK(read(R"({"stmts":[{"stmt":{"String":{"sval":"open}}}]})") == bad);
  // Nesting beyond the limit, in known fields or in skipped ones.
  std::string deep = R"({"stmts":[{"stmt":)";
  for (int i = 0; i < 50; ++i) deep += R"({"List":{"items":[)";
  CHECK(read(deep, 20) == "parse tree too deep to decode");
  CHECK(read(R"({"x":[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]})", 10) ==
        "parse tree too deep to decode");
}

TEST_CASE("JSON reader: escapes decode to the bytes they stand for", "[sql]") {
  pg_query::ParseResult tree;
  std::string error;
  REQUIRE(ReadJsonTree(
      R"({"stmts":[{"stmt":{"String":{"sval":"a\"b\\c\/d\b\f\n\r\t\u0001\u00e9\u20ac"}}}]})", 100,
      &tree, &error));
  CHECK(tree.stmts(0).stmt().string().sval() == "a\"b\\c/d\b\f\n\r\t\x01\xc3\xa9\xe2\x82\xac");
}

}  // namespace warden::sql
