// Classifier corpus (data/sql_corpus.tsv) and the behaviours a corpus line cannot express:
// prepared-statement resolution across messages, fingerprints, input bounds, threads.
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "common/policy/command_tags.h"
#include "common/sql/classify/classifier.h"
#include "common/sql/classify/column_refs.h"
#include "tests/unit/common/sql/sql_corpus.h"

namespace warden::sql {
namespace {

using sql_corpus::Join;

// The union of one field over the batch's statements, sorted, as the corpus writes it.
std::string Union(const ClassifiedBatch& b, std::vector<std::string> ClassifiedStatement::*field) {
  std::vector<std::string> all;
  for (const ClassifiedStatement& s : b.statements) {
    all.insert(all.end(), (s.*field).begin(), (s.*field).end());
  }
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  return Join(all, ",");
}

}  // namespace

TEST_CASE("classifier corpus: every line classifies exactly as written", "[sql]") {
  const std::vector<sql_corpus::Case> cases = sql_corpus::Load();
  REQUIRE(cases.size() >= 150);
  for (const sql_corpus::Case& c : cases) {
    INFO("corpus line " << c.line << ": " << c.sql);
    const ClassifiedBatch b = Classify(c.sql);
    if (c.tags == "ERROR") {
      CHECK_FALSE(b.parsed);
      CHECK_FALSE(b.parse_error.empty());
      CHECK(b.statements.empty());
      CHECK(c.commands == "-");
      continue;
    }
    REQUIRE(b.parsed);
    std::vector<std::string> tags, classes;
    bool without_where = false, opaque = false;
    for (const ClassifiedStatement& s : b.statements) {
      tags.push_back(s.command_tag);
      classes.emplace_back(ClassName(s.statement_class));
      without_where = without_where || s.without_where;
      opaque = opaque || s.opaque;
    }
    CHECK(Join(tags, "|") == c.tags);
    CHECK(Join(classes, "|") == c.classes);
    CHECK(Union(b, &ClassifiedStatement::relations_read) == c.reads);
    CHECK(Union(b, &ClassifiedStatement::relations_written) == c.writes);
    CHECK(Union(b, &ClassifiedStatement::functions) == c.functions);
    CHECK(Union(b, &ClassifiedStatement::commands) == c.commands);
    CHECK(without_where == c.without_where);
    CHECK(opaque == c.opaque);
  }
}

TEST_CASE("classifier corpus: every command produced is a tag policies may name", "[sql]") {
  for (const sql_corpus::Case& c : sql_corpus::Load()) {
    for (const ClassifiedStatement& s : Classify(c.sql).statements) {
      for (const std::string& command : s.commands) {
        INFO("corpus line " << c.line << ": " << c.sql);
        CHECK((command == "???" || warden::policy::IsKnownCommandTag(command)));
      }
    }
  }
}

TEST_CASE("EXECUTE resolves statements prepared in earlier messages", "[sql]") {
  PreparedStatements session;
  TrackPrepared("PREPARE wipe AS DELETE FROM payments; PREPARE q AS SELECT * FROM users", &session);
  REQUIRE(session.size() == 2);

  const ClassifiedBatch wipe = Classify("EXECUTE wipe", &session);
  REQUIRE(wipe.statements.size() == 1);
  const ClassifiedStatement& s = wipe.statements[0];
  CHECK(s.command_tag == "DELETE");  // the server reports the prepared statement's own tag
  CHECK(s.statement_class == v1::STATEMENT_CLASS_WRITE);
  CHECK(s.relations_written == std::vector<std::string>{"payments"});
  CHECK(s.without_where);
  CHECK_FALSE(s.opaque);
  CHECK(s.commands == std::vector<std::string>{"DELETE", "EXECUTE"});

  const ClassifiedBatch unknown = Classify("EXECUTE nope", &session);
  CHECK(unknown.statements[0].statement_class == v1::STATEMENT_CLASS_OPAQUE);

  TrackPrepared("DEALLOCATE wipe", &session);
  CHECK(session.count("wipe") == 0);
  CHECK(Classify("EXECUTE wipe", &session).statements[0].opaque);
  TrackPrepared("DEALLOCATE ALL", &session);
  CHECK(session.empty());
}

TEST_CASE("fingerprint ignores literals and separates shapes", "[sql]") {
  const uint64_t a = Classify("SELECT * FROM t WHERE id = 1").fingerprint;
  const uint64_t b = Classify("select * from t where id = 2 -- other").fingerprint;
  const uint64_t c = Classify("SELECT * FROM u WHERE id = 1").fingerprint;
  CHECK(a != 0);
  CHECK(a == b);
  CHECK(a != c);
  CHECK(Classify("SELEC 1").fingerprint == 0);
}

TEST_CASE("inputs the parser must not see are rejected", "[sql]") {
  const ClassifiedBatch nul = Classify(std::string_view("SELECT 1\0; DROP TABLE t", 23));
  CHECK_FALSE(nul.parsed);
  CHECK(nul.parse_error.find("NUL") != std::string::npos);

  const ClassifiedBatch huge = Classify(std::string(kMaxStatementBytes + 1, ' '));
  CHECK_FALSE(huge.parsed);

  // Not UTF-8 (a LATIN1 client): still a statement, classified on its bytes.
  const ClassifiedBatch latin1 = Classify("DELETE FROM caf\xe9");
  REQUIRE(latin1.parsed);
  CHECK(latin1.statements[0].relations_written == std::vector<std::string>{"caf\xe9"});

  const ClassifiedBatch err = Classify("SELECT * FROM");
  CHECK(err.parse_error.find("syntax error") != std::string::npos);
  CHECK(err.parse_error.find("position") != std::string::npos);
}

TEST_CASE("long expressions and deep nesting parse or fail cleanly", "[sql]") {
  std::string sum = "SELECT 1";
  for (int i = 0; i < 2000; ++i) sum += " + a" + std::to_string(i % 7);
  sum += " FROM t";
  const ClassifiedBatch b = Classify(sum);
  REQUIRE(b.parsed);
  CHECK(b.statements[0].relations_read == std::vector<std::string>{"t"});

  const std::string deep = std::string(100000, '(') + "1" + std::string(100000, ')');
  const ClassifiedBatch d = Classify("SELECT " + deep);
  CHECK_FALSE(d.parsed);  // PostgreSQL's own stack depth check refuses it
}

TEST_CASE("a very deep tree is refused without exhausting the stack", "[sql]") {
  // The grammar nests 1+1+1+... one level per operator without any depth check, and
  // libpg_query prints the tree recursively: 80 KB of this overflowed an 8 MB stack.
  std::string sum = "SELECT 1";
  while (sum.size() < (256 << 10)) sum += "+1";
  const ClassifiedBatch b = Classify(sum);
  CHECK_FALSE(b.parsed);
  CHECK(b.parse_error == "parse tree too deep to decode");
  PreparedStatements prepared;
  TrackPrepared("PREPARE p AS " + sum, &prepared);
  CHECK(prepared.empty());
}

TEST_CASE("long statements are classified like short ones", "[sql]") {
  std::string wide = "DELETE FROM wide WHERE id IN (SELECT c0";
  for (int i = 1; wide.size() < 20000; ++i) wide += ", c" + std::to_string(i);
  wide += " FROM narrow)";
  const ClassifiedBatch b = Classify(wide);
  REQUIRE(b.parsed);
  REQUIRE(b.statements.size() == 1);
  CHECK(b.statements[0].command_tag == "DELETE");
  CHECK(b.statements[0].relations_read == std::vector<std::string>{"narrow"});
  CHECK(b.statements[0].relations_written == std::vector<std::string>{"wide"});
  CHECK(b.fingerprint != 0);
  PreparedStatements prepared;
  TrackPrepared("PREPARE long AS " + wide, &prepared);
  CHECK(prepared.count("long") == 1);
}

TEST_CASE("classification is safe from several threads at once", "[sql]") {
  std::vector<std::thread> threads;
  std::vector<int> failures(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([t, &failures] {
      for (int i = 0; i < 300; ++i) {
        const std::string sql = "DELETE FROM t" + std::to_string(t) +
                                " WHERE id = " + std::to_string(i) + (i % 3 == 0 ? "; SELEC" : "");
        const ClassifiedBatch b = Classify(sql);
        const bool ok = (i % 3 == 0)
                            ? !b.parsed
                            : b.parsed && b.statements.size() == 1 &&
                                  b.statements[0].relations_written[0] == "t" + std::to_string(t);
        if (!ok) ++failures[t];
      }
    });
  }
  for (std::thread& th : threads) th.join();
  CHECK(failures == std::vector<int>(8, 0));
}

TEST_CASE("a statement calling a function that changes state is not a read", "[sql]") {
  auto cls = [](const std::string& sql) {
    ClassifiedBatch b = Classify(sql);
    REQUIRE(b.parsed);
    return std::string(ClassName(b.statements.at(0).statement_class));
  };
  for (const char* write :
       {"SELECT lo_from_bytea(0, 'x')", "SELECT lo_unlink(42)", "SELECT nextval('s')",
        "SELECT pg_catalog.setval('s', 1)", "SELECT pg_advisory_lock(1)",
        "SELECT pg_notify('c', 'x')", "SELECT 1 FROM t WHERE pg_try_advisory_lock(id)",
        "WITH x AS (SELECT lowrite(0, 'x')) SELECT * FROM x",
        "COPY (SELECT nextval('s')) TO STDOUT"}) {
    INFO(write);
    CHECK(cls(write) == "write");
  }
  for (const char* admin :
       {"SELECT set_config('search_path', 'evil', false)", "SELECT pg_terminate_backend(123)",
        "SELECT pg_cancel_backend(1)", "SELECT lo_import('/etc/passwd')", "SELECT pg_reload_conf()",
        "SELECT * FROM dblink('x', 'DELETE FROM t') AS t(a int)",
        "INSERT INTO t SELECT pg_read_file('/etc/passwd')"}) {
    INFO(admin);
    CHECK(cls(admin) == "admin");
  }
  for (const char* read :
       {"SELECT random(), clock_timestamp(), gen_random_uuid()", "SELECT currval('s'), lastval()",
        "SELECT loread(lo_open(1, 262144), 10)", "EXPLAIN SELECT nextval('s')",
        "EXPLAIN SELECT pg_terminate_backend(1)"}) {
    INFO(read);
    CHECK(cls(read) == "read");
  }
  CHECK(cls("EXPLAIN ANALYZE SELECT nextval('s')") == "write");
}

TEST_CASE("ordinary session settings are their own class; the rest stay deniable", "[sql]") {
  auto cls = [](const std::string& sql) {
    ClassifiedBatch b = Classify(sql);
    REQUIRE(b.parsed);
    return std::string(ClassName(b.statements.at(0).statement_class));
  };
  for (const char* session :
       {"SET statement_timeout = '5s'", "SET LOCAL lock_timeout TO 1000", "SET TIME ZONE 'UTC'",
        "SET DateStyle TO ISO", "SET extra_float_digits = 3", "RESET application_name",
        "SET NAMES 'UTF8'", "SET client_min_messages TO warning"}) {
    INFO(session);
    CHECK(cls(session) == "session");
  }
  for (const char* admin :
       {"SET search_path TO evil", "SET SCHEMA 'evil'", "RESET search_path", "RESET ALL",
        "SET default_transaction_read_only = off", "SET row_security = off", "SET work_mem = '1TB'",
        "SELECT set_config('application_name', 'x', false)"}) {
    INFO(admin);
    CHECK(cls(admin) == "admin");
  }
  CHECK(cls("SET ROLE postgres") == "dcl");
}

TEST_CASE("MERGE that can reach every row of its target is without_where", "[sql]") {
  auto unbounded = [](const std::string& sql) {
    ClassifiedBatch b = Classify(sql);
    REQUIRE(b.parsed);
    return b.statements.at(0).without_where;
  };
  for (const char* every :
       {"MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE",
        "MERGE INTO t USING s ON 1 = 1 WHEN MATCHED THEN UPDATE SET v = 0",
        "MERGE INTO t USING s ON s.id = s.id WHEN MATCHED THEN DELETE",
        "MERGE INTO t x USING s ON x.id = x.id WHEN MATCHED THEN DELETE",
        "MERGE INTO t USING s ON id = sid WHEN MATCHED THEN DELETE",
        "MERGE INTO t USING s ON t.id = s.id OR true WHEN MATCHED THEN DELETE",
        "MERGE INTO t USING (SELECT 1 AS one) s ON t.id > s.one WHEN MATCHED THEN DELETE"}) {
    INFO(every);
    CHECK(unbounded(every));
  }
  for (const char* bounded :
       {"MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE",
        "MERGE INTO t a USING s ON s.id = a.id AND a.v > 0 WHEN MATCHED THEN UPDATE SET v = 1",
        "MERGE INTO t USING s ON t.id = 5 WHEN MATCHED THEN DELETE",
        "MERGE INTO t USING s ON true WHEN NOT MATCHED THEN INSERT VALUES (1)"}) {
    INFO(bounded);
    CHECK_FALSE(unbounded(bounded));
  }
}

}  // namespace warden::sql

namespace warden::sql {

TEST_CASE("classifier: the columns a statement reads and writes", "[sql]") {
  struct Case {
    const char* sql;
    const char* read;
    const char* written;
  };
  const Case cases[] = {
      // The one relation a statement touches owns its unqualified columns.
      {"DELETE FROM orders WHERE id BETWEEN 4 AND 1203", "orders.id", "orders.*"},
      {"UPDATE public.customers c SET email = lower(c.email), note = 'x' WHERE c.id = 7",
       "public.customers.email,public.customers.id",
       "public.customers.email,public.customers.note"},
      {"INSERT INTO t (a, b) VALUES (1, 2)", "-", "t.a,t.b"},
      {"INSERT INTO t SELECT * FROM s", "s.*,t.*", "t.*"},
      // Aliases, and a qualifier that names a CTE (its columns come from its own references;
      // names resolve statement-wide, so the CTE's email could be of either table).
      {"WITH x AS (SELECT email FROM customers) SELECT o.total, x.email FROM orders o, x",
       "email,orders.total", "-"},
      // Several relations: an unqualified column cannot be told.
      {"SELECT name FROM customers JOIN orders ON orders.customer_id = customers.id",
       "customers.id,name,orders.customer_id", "-"},
      {"INSERT INTO t (k, v) VALUES (1, 2) ON CONFLICT (k) DO UPDATE SET v = excluded.v", "-",
       "t.k,t.v"},
      {"MERGE INTO t USING s ON t.k = s.k WHEN MATCHED THEN UPDATE SET v = s.v "
       "WHEN NOT MATCHED THEN INSERT VALUES (s.k, s.v)",
       "s.k,s.v,t.k", "t.*,t.v"},
      // EXPLAIN writes nothing: what the statement would write is read.
      {"EXPLAIN DELETE FROM orders WHERE id = 1", "orders.*,orders.id", "-"},
      {"SELECT count(*) FROM orders", "-", "-"},
  };
  for (const Case& c : cases) {
    INFO(c.sql);
    const ClassifiedBatch b = Classify(c.sql);
    REQUIRE(b.statements.size() == 1);
    CHECK(sql_corpus::Join(b.statements[0].columns_read, ",") == c.read);
    CHECK(sql_corpus::Join(b.statements[0].columns_written, ",") == c.written);
  }

  // One alias over many tables times many columns: the list is cut, not multiplied.
  std::string sql = "SELECT 1";
  for (int i = 0; i < 60; ++i)
    sql += ", (SELECT a.c" + std::to_string(i) + " FROM t" + std::to_string(i) + " a)";
  const ClassifiedBatch wide = Classify(sql);
  REQUIRE(wide.statements.size() == 1);
  CHECK(wide.statements[0].columns_read.size() == kMaxColumns);
}

}  // namespace warden::sql
