// Column lineage (common/sql/lineage/column_lineage.h): which source columns flow into each output
// column, for masking that a cast, an alias, a function or a CTE cannot walk around. Each
// expectation is DescribeLineage()'s form: "name <- t.col schema.t.col row(t) *(t) ?", outputs
// joined by " | ".
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "common/sql/lineage/column_lineage.h"
#include "common/sql/parse/parse_limits.h"

namespace warden::sql {
namespace {

struct Case {
  const char* sql;
  const char* lineage;
};

// The lineage of the text's only (or first) statement.
std::string Lineage(const std::string& sql) {
  const LineageResult r = AnalyzeLineage(sql);
  if (!r.parsed) return "ERROR " + r.error;
  if (r.statements.empty()) return "NO STATEMENT";
  return DescribeLineage(r.statements[0]);
}

void CheckAll(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    INFO(c.sql);
    CHECK(Lineage(c.sql) == c.lineage);
  }
}

StatementLineage Only(const std::string& sql) {
  const LineageResult r = AnalyzeLineage(sql);
  REQUIRE(r.parsed);
  REQUIRE(r.statements.size() == 1);
  return r.statements[0];
}

// DECLARE then FETCH, PREPARE then EXECUTE: the first describes rows under the name `c` and
// returns none; the second returns rows it leaves to the caller to describe.
void CheckNamedRows(const std::string& sql, std::string StatementLineage::*name,
                    const std::string& lineage) {
  const LineageResult r = AnalyzeLineage(sql);
  REQUIRE(r.statements.size() == 2);
  const StatementLineage& define = r.statements[0];
  const StatementLineage& run = r.statements[1];
  CHECK(define.*name == "c");
  CHECK_FALSE(define.returns_rows);
  CHECK(DescribeLineage(define) == lineage);
  CHECK(run.*name == "c");
  CHECK(run.returns_rows);
  CHECK(run.outputs.empty());
  CHECK(MergedLineage(run).unknown);  // until the caller uses what the first one said
}

}  // namespace

TEST_CASE("lineage: plain columns, qualification, case and quoting", "[sql][lineage]") {
  CheckAll({
      {"SELECT email FROM customers", "email <- customers.email"},
      {"SELECT c.email AS e, c.id FROM customers c", "e <- customers.email | id <- customers.id"},
      {"SELECT public.customers.email, customers.ssn FROM public.customers",
       "email <- public.customers.email | ssn <- public.customers.ssn"},
      // Unquoted names fold to lower case; quoted ones keep theirs for matching, and are
      // reported lower case.
      {"SeLeCt EMAIL FrOm CUSTOMERS", "email <- customers.email"},
      {R"(SELECT "Email", "CUSTOMERS"."Email" FROM Public."CUSTOMERS")",
       "Email <- public.customers.email | Email <- public.customers.email"},
      // A field of a composite column: the whole column flows.
      {"SELECT address.city FROM customers", "city <- customers.address"},
      // Constants, parameters and session functions carry no table data.
      {"SELECT 1, 'x'::text, $1::text, now(), current_user",
       "?column? <- | text <- | text <- | now <- | current_user <-"},
      {"SELECT localtime(0), xmlconcat(xmlcomment('a')), xmlelement(name e, email) FROM customers",
       "localtime <- | xmlconcat <- | xmlelement <- customers.email"},
  });
}

TEST_CASE("lineage: expressions carry every operand", "[sql][lineage]") {
  CheckAll({
      {"SELECT email::text, CAST(ssn AS varchar(20)), email || '', upper(email) AS u "
       "FROM customers",
       "email <- customers.email | ssn <- customers.ssn | ?column? <- customers.email | "
       "u <- customers.email"},
      {"SELECT concat(email, '!'), format('%s-%s', ssn, card), "
       "json_build_object('e', email), substring(card FROM 1 FOR 4) FROM customers",
       "concat <- customers.email | format <- customers.card customers.ssn | "
       "json_build_object <- customers.email | substring <- customers.card"},
      {"SELECT COALESCE(card, ''), NULLIF(ssn, ''), GREATEST(email, ssn), ROW(email, 1), "
       "ARRAY[card] FROM customers",
       "coalesce <- customers.card | nullif <- customers.ssn | "
       "greatest <- customers.email customers.ssn | row <- customers.email | array <- "
       "customers.card"},
      // CASE: results and conditions (a condition tells a bit of the value it tests).
      {"SELECT CASE WHEN ssn LIKE '1%' THEN card END FROM customers",
       "case <- customers.card customers.ssn"},
      {"SELECT email = 'a@b.c', ssn IS NULL, card BETWEEN '1' AND '2' FROM customers",
       "?column? <- customers.email | ?column? <- customers.ssn | ?column? <- customers.card"},
      {"SELECT (c).email, to_json(c.*) FROM customers c",
       "email <- customers.c row(customers) | to_json <- row(customers)"},
  });
}

TEST_CASE("lineage: whole rows", "[sql][lineage]") {
  CheckAll({
      // `c` may be a column named c or the row of customers: both are reported.
      {"SELECT row_to_json(c) FROM customers c", "row_to_json <- customers.c row(customers)"},
      {"SELECT c FROM customers c", "c <- customers.c row(customers)"},
      {"SELECT customers FROM customers", "customers <- customers.customers row(customers)"},
      // A derived table's row is its columns.
      {"SELECT json_agg(s) FROM (SELECT email, 1 AS one FROM customers) s",
       "json_agg <- customers.email"},
      {"SELECT row_to_json(s) FROM (SELECT * FROM customers) s",
       "row_to_json <- customers.s row(customers)"},
  });
}

TEST_CASE("lineage: aggregates and window functions", "[sql][lineage]") {
  CheckAll({
      // count() yields a number of rows, not a value; FILTER, ORDER BY and OVER only filter
      // or order.
      {"SELECT count(email), count(*), max(email), string_agg(ssn, ',' ORDER BY card) "
       "FILTER (WHERE card IS NOT NULL), array_agg(DISTINCT card) FROM customers",
       "count <- | count <- | max <- customers.email | string_agg <- customers.ssn | "
       "array_agg <- customers.card"},
      // An ordered-set aggregate returns values of its WITHIN GROUP ordering.
      {"SELECT mode() WITHIN GROUP (ORDER BY email), percentile_disc(0.5) WITHIN GROUP "
       "(ORDER BY card) FROM customers",
       "mode <- customers.email | percentile_disc <- customers.card"},
      {"SELECT lag(email) OVER (PARTITION BY ssn ORDER BY card), row_number() OVER w "
       "FROM customers WINDOW w AS (ORDER BY email)",
       "lag <- customers.email | row_number <-"},
      {"SELECT ssn, count(*) FROM customers GROUP BY ssn HAVING max(card) > '4'",
       "ssn <- customers.ssn | count <-"},
  });
}

TEST_CASE("lineage: unknown functions and dynamic SQL fail closed", "[sql][lineage]") {
  CheckAll({
      {"SELECT my_func(email), public.upper(email), pg_catalog.upper(email) FROM customers",
       "my_func <- customers.email ? | upper <- customers.email ? | upper <- customers.email"},
      {"SELECT query_to_xml('SELECT * FROM customers', true, false, '')", "query_to_xml <- ?"},
      {"SELECT lo_get(16400), current_setting('app.secret')", "lo_get <- ? | current_setting <- ?"},
      // A function in FROM whose columns are unknown: a star run of unknown lineage.
      {"SELECT * FROM get_customers() g", "* <- ?"},
      {"SELECT g.email FROM get_customers() g", "email <- ?"},
  });
}

TEST_CASE("lineage: FROM items and name resolution", "[sql][lineage]") {
  CheckAll({
      // Unqualified, with several candidate relations: each of them.
      {"SELECT email, o.note FROM customers c JOIN orders o ON o.cid = c.id",
       "email <- customers.email orders.email | note <- orders.note"},
      // Columns used only in WHERE / JOIN / ORDER BY do not flow.
      {"SELECT c.id FROM customers c JOIN orders o ON o.note = c.email WHERE c.ssn LIKE '1%' "
       "ORDER BY c.card",
       "id <- customers.id"},
      // Subquery with column aliases renames positionally.
      {"SELECT x, s.x FROM (SELECT email AS e, ssn FROM customers) s(x)",
       "x <- customers.email | x <- customers.email"},
      // LATERAL sees the items before it.
      {"SELECT x.e FROM customers c, LATERAL (SELECT upper(c.email) AS e) x",
       "e <- customers.email"},
      {"SELECT p, ordinality FROM customers c, "
       "unnest(string_to_array(c.email, '@')) WITH ORDINALITY AS p",
       "p <- customers.email | ordinality <-"},
      {"SELECT key, value FROM customers c, jsonb_each(c.profile)",
       "key <- customers.profile | value <- customers.profile"},
      {"SELECT v.column1, w.a FROM (VALUES (1, 'a')) v, (VALUES ('x'), "
       "((SELECT ssn FROM customers LIMIT 1))) w(a)",
       "column1 <- | a <- customers.ssn"},
      // An aliased join hides the names inside it; its columns are both sides'.
      {"SELECT j.email FROM (customers c JOIN orders o ON true) AS j",
       "email <- customers.email orders.email"},
      // A correlated reference resolves to the outer query.
      {"SELECT (SELECT o.note FROM orders o WHERE o.cid = c.id AND c.ssn IS NOT NULL "
       "LIMIT 1) FROM customers c",
       "note <- orders.note"},
      {"SELECT (SELECT c.email) FROM customers c", "email <- customers.email"},
      // An unqualified name in a subquery may be the outer table's (no catalog to tell).
      {"SELECT (SELECT note FROM orders LIMIT 1) FROM customers",
       "note <- customers.note orders.note"},
      // A name that resolves to nothing fails closed.
      {"SELECT s.nope FROM (SELECT 1 AS a) s", "nope <- ?"},
      {"SELECT * FROM customers TABLESAMPLE SYSTEM (10)", "* <- *(customers)"},
      // Functions in FROM: column definition lists, ROWS FROM, row types of unknown width.
      {"SELECT r.* FROM customers c, ROWS FROM (json_to_record(c.profile) AS (a text, b int), "
       "generate_series(1, 2)) AS r",
       "a <- customers.profile | b <- customers.profile | generate_series <-"},
      {"SELECT * FROM customers c, json_populate_record(NULL::customers, c.profile) p",
       "* <- customers.profile *(customers)"},
      {"SELECT x.* FROM docs d, XMLTABLE('/r' PASSING d.body COLUMNS id int PATH '@id', "
       "n FOR ORDINALITY) x",
       "id <- docs.body | n <-"},
      // A USING column is either side's value (the right one's in a RIGHT JOIN).
      {"SELECT id FROM (SELECT id FROM orders) o RIGHT JOIN customers USING (id)",
       "id <- customers.id orders.id"},
      // A name only one side lists is that side's, though the other is a base table.
      {"SELECT note FROM (SELECT note FROM orders) o JOIN customers c ON true",
       "note <- orders.note"},
  });
}

TEST_CASE("lineage: star expansion", "[sql][lineage]") {
  CheckAll({
      // Over a base relation: a run the caller places with RowDescription.
      {"SELECT * FROM customers", "* <- *(customers)"},
      {"TABLE customers", "* <- *(customers)"},
      {"SELECT c.*, o.* FROM customers c JOIN orders o ON o.cid = c.id",
       "* <- *(customers) *(orders)"},
      {"SELECT c.*, upper(o.note) FROM customers c, orders o",
       "* <- *(customers) | upper <- orders.note"},
      // Over a subquery or CTE: its columns, with their lineage.
      {"SELECT * FROM (SELECT email AS e, upper(ssn) AS s FROM customers) sub",
       "e <- customers.email | s <- customers.ssn"},
      {"SELECT s.e FROM (SELECT * FROM customers) s(e)", "e <- row(customers)"},
      {"SELECT s.email FROM (SELECT * FROM customers) s", "email <- customers.email"},
      // USING: the merged columns first, then each side's others.
      {"SELECT * FROM (SELECT id, email FROM customers) a JOIN (SELECT id, note FROM orders) "
       "b USING (id)",
       "id <- customers.id orders.id | email <- customers.email | note <- orders.note"},
      {"SELECT * FROM (SELECT id, email FROM customers) a NATURAL JOIN "
       "(SELECT id, note FROM orders) b",
       "id <- customers.id orders.id | email <- customers.email | note <- orders.note"},
      // NATURAL over base tables: which columns merge is unknown, so one run holds both.
      {"SELECT * FROM customers NATURAL JOIN orders", "* <- *(customers) *(orders)"},
      {"SELECT (c).* FROM customers c", "* <- customers.c row(customers)"},
  });
}

TEST_CASE("lineage: set operations combine columns positionally", "[sql][lineage]") {
  CheckAll({
      {"SELECT email, id FROM customers UNION SELECT note, 1 FROM orders",
       "email <- customers.email orders.note | id <- customers.id"},
      {"SELECT 1 AS a INTERSECT SELECT ssn FROM customers EXCEPT SELECT card FROM customers",
       "a <- customers.card customers.ssn"},
      // Past a star run positions are unknown: the rest is one run.
      {"SELECT * FROM customers UNION ALL SELECT note, 1 FROM orders",
       "* <- orders.note *(customers)"},
      {"SELECT id, * FROM customers UNION ALL SELECT 1, note FROM orders",
       "id <- customers.id | * <- orders.note *(customers)"},
      // Different widths without a run: PostgreSQL rejects it; fail closed.
      {"SELECT 1, email FROM customers UNION SELECT 2",
       "?column? <- ? | email <- customers.email ?"},
  });
}

TEST_CASE("lineage: subqueries in the target list", "[sql][lineage]") {
  CheckAll({
      {"SELECT (SELECT email FROM customers LIMIT 1)", "email <- customers.email"},
      {"SELECT EXISTS (SELECT ssn FROM customers WHERE ssn LIKE '1%')", "exists <-"},
      {"SELECT 'x' IN (SELECT card FROM customers), ARRAY(SELECT ssn FROM customers)",
       "?column? <- customers.card | array <- customers.ssn"},
      // IN in WHERE only filters.
      {"SELECT id FROM orders WHERE cid IN (SELECT id FROM customers WHERE ssn = '1')",
       "id <- orders.id"},
  });
}

TEST_CASE("lineage: CTEs", "[sql][lineage]") {
  CheckAll({
      {"WITH t AS (SELECT email FROM customers) SELECT * FROM t", "email <- customers.email"},
      {"WITH t(x, y) AS (SELECT email, ssn FROM customers) SELECT upper(y), t.x FROM t",
       "upper <- customers.ssn | x <- customers.email"},
      {"WITH a AS (SELECT card FROM customers), b AS (SELECT card || '' AS c FROM a) "
       "SELECT c FROM b",
       "c <- customers.card"},
      // A CTE name shadows a table of that name; a schema-qualified name does not.
      {"WITH customers AS (SELECT 1 AS email) SELECT c.email, p.email FROM customers c, "
       "public.customers p",
       "email <- | email <- public.customers.email"},
      {"WITH RECURSIVE t(n, e) AS (SELECT 1, email FROM customers UNION ALL "
       "SELECT n + 1, e || ssn FROM t, customers WHERE n < 5) SELECT * FROM t",
       "n <- | e <- customers.email customers.ssn"},
      {"WITH RECURSIVE t AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM t WHERE n < 3) "
       "SELECT n FROM t",
       "n <-"},
      // Data-modifying CTEs return what RETURNING says.
      {"WITH d AS (DELETE FROM customers WHERE id = 1 RETURNING *) SELECT * FROM d",
       "* <- *(customers)"},
      {"WITH d AS (DELETE FROM customers WHERE id = 1 RETURNING email AS gone) "
       "SELECT upper(gone) FROM d",
       "upper <- customers.email"},
      {"WITH s AS (SELECT * FROM customers) SELECT x FROM s AS q(x)", "x <- row(customers)"},
      // SEARCH and CYCLE add columns built from the listed ones.
      {"WITH RECURSIVE t(id) AS (SELECT id FROM tree UNION ALL SELECT tree.id FROM tree, t "
       "WHERE tree.parent = t.id) SEARCH DEPTH FIRST BY id SET ord SELECT * FROM t",
       "id <- tree.id | ord <- tree.id"},
  });
}

TEST_CASE("lineage: RETURNING", "[sql][lineage]") {
  CheckAll({
      {"DELETE FROM customers WHERE id = 1 RETURNING email, upper(ssn)",
       "email <- customers.email | upper <- customers.ssn"},
      // Values written and read back carry what was written.
      {"INSERT INTO archive SELECT email FROM customers RETURNING *",
       "* <- customers.email *(archive)"},
      {"INSERT INTO archive (a, b) SELECT email, ssn FROM customers RETURNING b, c",
       "b <- archive.b customers.ssn | c <- archive.c"},
      {"UPDATE orders o SET note = c.email FROM customers c WHERE c.id = o.cid "
       "RETURNING o.note, c.ssn",
       "note <- customers.email orders.note | ssn <- customers.ssn"},
      {"INSERT INTO t (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET "
       "v = (SELECT s.ssn FROM customers s LIMIT 1) RETURNING v",
       "v <- customers.ssn t.v"},
      {"DELETE FROM orders o USING customers c WHERE c.id = o.cid RETURNING c.email",
       "email <- customers.email"},
  });
}

TEST_CASE("lineage: statement kinds", "[sql][lineage]") {
  SECTION("rows only where the statement returns them") {
    const LineageResult r = AnalyzeLineage(
        "INSERT INTO t VALUES (1); UPDATE t SET a = 1; CREATE TABLE x (a int); "
        "SELECT email INTO y FROM customers; CREATE TABLE z AS SELECT email FROM customers; "
        "SET search_path = public; MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DELETE");
    REQUIRE(r.parsed);
    REQUIRE(r.statements.size() == 7);
    for (const StatementLineage& s : r.statements) {
      CHECK_FALSE(s.returns_rows);
      CHECK(s.outputs.empty());
    }
  }
  SECTION("COPY") {
    const LineageResult r = AnalyzeLineage(
        "COPY (SELECT upper(email) FROM customers) TO STDOUT; COPY customers TO STDOUT; "
        "COPY public.customers (email, ssn) TO STDOUT WITH (FORMAT csv); "
        "COPY customers FROM STDIN; COPY customers TO '/tmp/x'");
    REQUIRE(r.statements.size() == 5);
    CHECK(DescribeLineage(r.statements[0]) == "upper <- customers.email");
    CHECK(DescribeLineage(r.statements[1]) == "* <- *(customers)");
    CHECK(DescribeLineage(r.statements[2]) ==
          "email <- public.customers.email | ssn <- public.customers.ssn");
    for (int i = 0; i < 3; ++i) CHECK(r.statements[i].returns_rows);
    CHECK_FALSE(r.statements[3].returns_rows);
    CHECK_FALSE(r.statements[4].returns_rows);
  }
  SECTION("cursors and prepared statements") {
    CheckNamedRows("DECLARE c CURSOR FOR SELECT ssn FROM customers; FETCH 10 FROM c",
                   &StatementLineage::cursor, "ssn <- customers.ssn");
    CheckNamedRows("PREPARE c(int) AS SELECT card FROM customers WHERE id = $1; EXECUTE c(1)",
                   &StatementLineage::prepared, "card <- customers.card");
    CHECK_FALSE(Only("MOVE 1 IN c").returns_rows);
  }
  SECTION("plans, settings and procedures") {
    CHECK(Lineage("EXPLAIN SELECT email FROM customers") == "QUERY PLAN <-");
    CHECK(Lineage("EXPLAIN (ANALYZE, VERBOSE) SELECT email FROM customers") == "QUERY PLAN <-");
    CHECK(Lineage("SHOW search_path") == "search_path <-");
    CHECK_FALSE(Only("SHOW search_path").outputs.at(0).unknown);
    // Custom settings hold whatever any role put there: unknown origin.
    CHECK(Only("SHOW x.leak").outputs.at(0).unknown);
    const StatementLineage all = Only("SHOW ALL");
    REQUIRE(all.outputs.size() == 3);
    CHECK_FALSE(all.outputs[0].unknown);
    CHECK(all.outputs[1].unknown);
    const StatementLineage call = Only("CALL transfer(1, 2)");
    CHECK(call.returns_rows);
    CHECK(call.opaque);
  }
  SECTION("a result without columns") {
    const StatementLineage s = Only("SELECT FROM customers");
    CHECK(s.returns_rows);
    CHECK(s.outputs.empty());
  }
  SECTION("several statements, one lineage each") {
    const LineageResult r =
        AnalyzeLineage("SELECT email FROM customers; SELECT note FROM orders; BEGIN");
    REQUIRE(r.statements.size() == 3);
    CHECK(DescribeLineage(r.statements[1]) == "note <- orders.note");
    CHECK_FALSE(r.statements[2].returns_rows);
  }
}

TEST_CASE("lineage: bad input is rejected, never crashes", "[sql][lineage]") {
  CHECK(Lineage("SELECT FROM WHERE").rfind("ERROR syntax error", 0) == 0);
  CHECK(Lineage(std::string("SELECT 1\0; DROP TABLE t", 24)) ==
        "ERROR statement text contains a NUL byte");
  CHECK_FALSE(AnalyzeLineage(std::string(kMaxStatementBytes + 1, ' ')).parsed);
  CHECK(AnalyzeLineage("").statements.empty());
}

TEST_CASE("lineage: deep and large texts", "[sql][lineage]") {
  SECTION("long expression chains, inline and on the helper thread") {
    for (int n : {1000, 200000}) {
      std::string sql = "SELECT email";
      for (int i = 0; i < n; ++i) sql += "||ssn";
      sql += " FROM customers";
      const LineageResult r = AnalyzeLineage(sql);
      if (!r.parsed) continue;  // too deep for the tree decoder: rejected, not crashed
      CHECK(DescribeLineage(r.statements.at(0)) == "?column? <- customers.email customers.ssn");
    }
  }
  SECTION("nesting as deep as the parser allows, on the helper thread") {
    // The grammar's own stack (10,000 entries) bounds nesting; find the deepest that parses.
    for (const auto& [open, close] : {std::pair<std::string, std::string>{"f(", ")"},
                                      {"(SELECT ", ")"},
                                      {"CASE WHEN a THEN ", " END"}}) {
      bool parsed = false;
      for (int depth = 5000; depth >= 1000 && !parsed; depth -= 250) {
        std::string sql = "SELECT ", tail;
        for (int i = 0; i < depth; ++i) {
          sql += open;
          tail += close;
        }
        const LineageResult r = AnalyzeLineage(sql + "email" + tail + " FROM customers");
        parsed = r.parsed;
        if (!parsed) continue;
        INFO(open << " x " << depth);
        REQUIRE(r.statements.size() == 1);
        CHECK(DescribeLineage(r.statements[0]).find("customers.email") != std::string::npos);
      }
      CHECK(parsed);
    }
  }
  SECTION("nested scalar subqueries") {
    std::string sql = "SELECT email FROM customers";
    for (int i = 0; i < 300; ++i) sql = "SELECT (" + sql + ") AS e FROM orders";
    const LineageResult r = AnalyzeLineage(sql);
    REQUIRE(r.parsed);
    CHECK(DescribeLineage(r.statements.at(0)) == "e <- customers.email orders.email");
  }
  SECTION("work that grows faster than the text makes the statement opaque") {
    // Each CTE joins the previous one with itself: the width doubles at every step.
    std::string sql = "WITH c0 AS (SELECT email, ssn FROM customers)";
    for (int i = 1; i < 60; ++i) {
      sql += ", c" + std::to_string(i) + " AS (SELECT * FROM c" + std::to_string(i - 1) + ", c" +
             std::to_string(i - 1) + " x)";
    }
    sql += " SELECT * FROM c59";
    const StatementLineage s = Only(sql);
    CHECK(s.opaque);
    CHECK(s.returns_rows);
    CHECK(s.outputs.empty());
    CHECK(MergedLineage(s).unknown);
    // Statements that describe no rows are not marked; a cursor over the query is.
    const LineageResult after = AnalyzeLineage(sql + "; CREATE TABLE x (a int)");
    REQUIRE(after.statements.size() == 2);
    CHECK_FALSE(after.statements[1].opaque);
    const LineageResult cursor = AnalyzeLineage("DECLARE c CURSOR FOR " + sql);
    REQUIRE(cursor.statements.size() == 1);
    CHECK(cursor.statements[0].opaque);
    CHECK(cursor.statements[0].cursor == "c");
  }
}

TEST_CASE("lineage: aligning outputs with RowDescription", "[sql][lineage]") {
  const StatementLineage plain = Only("SELECT email, ssn FROM customers");
  CHECK(AlignOutputs(plain, 2) == std::vector<size_t>{0, 1});
  CHECK(AlignOutputs(plain, 3).empty());

  // One run: the columns around it are placed from both ends.
  const StatementLineage run = Only("SELECT upper(email), c.*, o.note FROM customers c, orders o");
  REQUIRE(run.outputs.size() == 3);
  CHECK(AlignOutputs(run, 6) == std::vector<size_t>{0, 1, 1, 1, 1, 2});
  CHECK(AlignOutputs(run, 2) == std::vector<size_t>{0, 2});
  CHECK(AlignOutputs(run, 1).empty());

  // Two runs with a column between them: cannot place without the catalog.
  const StatementLineage two = Only("SELECT c.*, upper(o.note), o.* FROM customers c, orders o");
  CHECK(AlignOutputs(two, 9).empty());
  const OutputLineage all = MergedLineage(two);
  CHECK(DescribeLineage(all) == " <- orders.note row(customers) row(orders)");
  CHECK_FALSE(all.unknown);
}

}  // namespace warden::sql
