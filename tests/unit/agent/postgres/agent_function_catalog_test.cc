// The function catalog: which user-defined functions, operators and relations may change state
// (agent/enforcement/function_catalog.h), the built-in name list, and the guard deciding with it.
#include <catch2/catch.hpp>

#include "agent/enforcement/function_catalog.h"
#include "common/sql/classify/builtin_functions.h"
#include "common/sql/classify/classifier.h"
#include "guard_fixtures.h"

namespace {

using namespace warden;
using agent::CatalogRow;
using agent::FunctionCatalog;

CatalogRow Row(const char* kind, const char* schema, const char* name, const char* vol) {
  return {std::string(kind), std::string(schema), std::string(name), std::string(vol)};
}

FunctionCatalog Sample() {
  auto c = FunctionCatalog::Build({
      Row("f", "public", "purge", "t"),
      Row("f", "public", "tally", "f"),
      Row("f", "ops", "tally", "t"),  // same name, another schema, volatile
      Row("f", "pg_temp_3", "scratch", "t"),
      Row("f", "public", "Mixed", "f"),
      Row("f", "public", "lower", "f"),  // shadows a built-in, harmless
      Row("f", "public", "upper", "t"),  // shadows a built-in, volatile
      Row("o", "public", "###", "t"),
      Row("r", "public", "purging_view", "t"),
  });
  REQUIRE(c.ok());
  return *std::move(c);
}

// Why the first statement of `sql` may write, per the sample catalog.
std::string Judge(const std::string& sql, bool stale = false) {
  static const FunctionCatalog catalog = Sample();
  sql::ClassifiedBatch b = sql::Classify(sql);
  REQUIRE(b.parsed);
  return catalog.PossibleWrite(b.statements.at(0), stale);
}

}  // namespace

TEST_CASE("builtin functions: PostgreSQL 15's names, any ASCII case", "[function-catalog]") {
  for (const char* name : {"lower", "random", "now", "count", "lo_unlink", "set_config",
                           "generate_series", "LOWER", "ri_fkey_check_ins"}) {
    INFO(name);
    CHECK(sql::IsBuiltinFunction(name));
  }
  for (const char* name : {"purge", "", "lower ", "pg_catalog.lower", "uf_purge"}) {
    INFO(name);
    CHECK_FALSE(sql::IsBuiltinFunction(name));
  }
}

TEST_CASE("function catalog: volatile user functions may write, by schema or any schema",
          "[function-catalog]") {
  CHECK_THAT(Judge("SELECT purge()"), Catch::Contains("purge(), which the database declares "
                                                      "VOLATILE"));
  CHECK_THAT(Judge("SELECT public.purge()"), Catch::Contains("public.purge()"));
  CHECK_THAT(Judge("SELECT * FROM purge()"), Catch::Contains("VOLATILE"));
  CHECK_THAT(Judge("SELECT 1 WHERE EXISTS (SELECT purge())"), Catch::Contains("VOLATILE"));
  // Unqualified: the search path is the session's, so a volatile one anywhere counts.
  CHECK_THAT(Judge("SELECT tally()"), Catch::Contains("VOLATILE"));
  CHECK(Judge("SELECT public.tally()").empty());
  CHECK_THAT(Judge("SELECT ops.tally()"), Catch::Contains("VOLATILE"));
  CHECK_THAT(Judge("SELECT pg_temp.scratch()"), Catch::Contains("VOLATILE"));
  CHECK_THAT(Judge("SELECT upper('x')"), Catch::Contains("VOLATILE"));
  CHECK(Judge("SELECT pg_catalog.upper('x')").empty());
  CHECK(Judge("SELECT lower('x'), random(), now()").empty());
  CHECK(Judge("SELECT \"Mixed\"(), mixed()").empty());
}

TEST_CASE("function catalog: unknown functions may write; stale trusts only built-ins",
          "[function-catalog]") {
  CHECK_THAT(Judge("SELECT created_later()"), Catch::Contains("not a built-in"));
  CHECK_THAT(Judge("SELECT public.created_later()"), Catch::Contains("not a built-in"));
  CHECK_THAT(Judge("SELECT nowhere.lower('x')"), Catch::Contains("not a built-in"));
  CHECK(Judge("SELECT public.tally()", false).empty());
  CHECK_THAT(Judge("SELECT public.tally()", true), Catch::Contains("changed it since"));
  CHECK(Judge("SELECT lower('x')", true).empty());
}

TEST_CASE("function catalog: operators and relations that reach volatile functions",
          "[function-catalog]") {
  CHECK_THAT(Judge("SELECT 1 ### 2"), Catch::Contains("operator ###"));
  CHECK_THAT(Judge("SELECT 1 OPERATOR(public.###) 2"), Catch::Contains("operator public.###"));
  CHECK_THAT(Judge("SELECT 1 WHERE 1 ### ANY (ARRAY[1])"), Catch::Contains("operator ###"));
  CHECK(Judge("SELECT 1 + 2, 'a' || 'b'").empty());
  CHECK_THAT(Judge("SELECT * FROM purging_view"), Catch::Contains("it reads purging_view"));
  CHECK_THAT(Judge("SELECT * FROM public.purging_view v JOIN t ON true"),
             Catch::Contains("it reads public.purging_view"));
  CHECK(Judge("SELECT * FROM other.purging_view").empty());
}

TEST_CASE("function catalog: kinds it lists none of judge nothing, the others still do",
          "[function-catalog]") {
  auto only_functions = FunctionCatalog::Build({Row("f", "public", "purge", "t")});
  REQUIRE(only_functions.ok());
  auto judge = [](const FunctionCatalog& c, const std::string& sql) {
    sql::ClassifiedBatch b = sql::Classify(sql);
    REQUIRE(b.parsed);
    return c.PossibleWrite(b.statements.at(0), /*stale=*/false);
  };
  CHECK(judge(*only_functions, "SELECT 1 ### 2 FROM purging_view WHERE 1 = 1").empty());
  CHECK_THAT(judge(*only_functions, "SELECT purge() FROM purging_view WHERE 1 ### 2"),
             Catch::Contains("purge()"));
  auto empty = FunctionCatalog::Build({});
  REQUIRE(empty.ok());
  CHECK(judge(*empty, "SELECT lower(name) FROM t WHERE id = 1").empty());
  CHECK_THAT(judge(*empty, "SELECT purge()"), Catch::Contains("not a built-in"));
}

TEST_CASE("function catalog: plain EXPLAIN and PREPARE run nothing", "[function-catalog]") {
  CHECK(Judge("EXPLAIN SELECT purge()").empty());
  CHECK(Judge("PREPARE p AS SELECT purge()").empty());
  CHECK_THAT(Judge("EXPLAIN ANALYZE SELECT purge()"), Catch::Contains("VOLATILE"));
}

TEST_CASE("function catalog: malformed rows are refused", "[function-catalog]") {
  CHECK_FALSE(FunctionCatalog::Build({CatalogRow{std::string("f"), std::string("s")}}).ok());
  CHECK_FALSE(FunctionCatalog::Build({Row("x", "s", "n", "t")}).ok());
  CHECK_FALSE(FunctionCatalog::Build({Row("f", "s", "n", "v")}).ok());
  CHECK_FALSE(FunctionCatalog::Build({Row("f", "s", "", "t")}).ok());
  CHECK_FALSE(FunctionCatalog::Build(
                  {CatalogRow{std::string("f"), std::nullopt, std::string("n"), std::string("t")}})
                  .ok());
  CHECK(FunctionCatalog::Build({}).ok());
}

TEST_CASE("function catalog query: qualified, read whatever the session settings",
          "[function-catalog]") {
  const std::string q = agent::FunctionCatalogQuery();
  CHECK(q.find("pg_catalog.pg_proc") != std::string::npos);
  CHECK(q.find("pg_catalog.pg_policy") != std::string::npos);
  CHECK(q.find('\\') == std::string::npos);
  for (const char c : q) CHECK(static_cast<unsigned char>(c) < 0x80);
  // Every comparison goes through OPERATOR(pg_catalog.x): a bare ` = ` could be a user's.
  CHECK(q.find(" = ") == std::string::npos);
  CHECK(q.find(" >= ") == std::string::npos);
  CHECK(sql::Classify(q).parsed);
}

namespace {

using guard_fixtures::DenialFor;
using guard_fixtures::Fixture;

constexpr char kReadOnly[] = R"(
name: ro
subjects: {identities: [claude]}
connections: [demo]
default_action: allow
read_only: true
)";

// The server's answer to the function catalog query: its rows, then ReadyForQuery.
std::string CatalogAnswer(const std::vector<CatalogRow>& rows) {
  std::string out = pgwire::BuildRowDescription({});
  for (const CatalogRow& r : rows) {
    std::vector<std::optional<std::string_view>> cols;
    for (const auto& v : r) cols.push_back(v ? std::optional<std::string_view>(*v) : std::nullopt);
    out += pgwire::BuildDataRow(cols);
  }
  return out + pgwire::BuildCommandComplete("SELECT 1") + pgwire::BuildReadyForQuery('I');
}

}  // namespace

TEST_CASE("guard: a read calling a volatile user function is decided as a write", "[guard]") {
  Fixture f;
  f.Install(kReadOnly, 2);
  const auto now = std::chrono::steady_clock::now();
  // Before the catalog is read, a function that is not a built-in is unknown.
  std::string out = f.Front(pgwire::BuildQuery("SELECT tally()"));
  CHECK_THAT(DenialFor(f, out), Catch::Contains("not a built-in") && Catch::Contains("read-only"));
  f.Back(pgwire::BuildReadyForQuery('I'));
  CHECK(f.Front(pgwire::BuildQuery("SELECT lower('x')")) ==
        pgwire::BuildQuery("SELECT lower('x')"));
  f.Back(pgwire::BuildCommandComplete("SELECT 1") + pgwire::BuildReadyForQuery('I'));

  // The load: its answer is taken out of the stream; a notice in it still reaches the client.
  const std::string query = f.guard.StartFunctionCatalogLoad(now);
  CHECK(query.find("pg_catalog.pg_proc") != std::string::npos);
  CHECK(f.guard.loading_function_catalog());
  const std::string notice = pgwire::BuildNoticeResponse("NOTICE", "00000", "hello");
  std::string answer =
      CatalogAnswer({Row("f", "public", "tally", "f"), Row("f", "public", "purge", "t")});
  answer.insert(answer.size() - pgwire::BuildReadyForQuery('I').size(), notice);
  CHECK(f.BackSplit(answer.substr(0, 17), answer.substr(17)) == notice);
  CHECK_FALSE(f.guard.loading_function_catalog());

  CHECK(f.Front(pgwire::BuildQuery("SELECT tally()")) == pgwire::BuildQuery("SELECT tally()"));
  f.Back(pgwire::BuildCommandComplete("SELECT 1") + pgwire::BuildReadyForQuery('I'));
  out = f.Front(pgwire::BuildQuery("SELECT purge()"));
  CHECK_THAT(DenialFor(f, out), Catch::Contains("purge(), which the database declares VOLATILE"));
  f.Back(pgwire::BuildReadyForQuery('I'));
  CHECK(f.guard.OnIdle(now + std::chrono::seconds(1)).empty());  // fresh
  CHECK_FALSE(f.guard.OnIdle(now + agent::StatementGuard::kFunctionCatalogMaxAge).empty());
}

TEST_CASE("guard: after DDL the catalog is stale until a reload sent after it", "[guard]") {
  Fixture f;  // allows DDL
  f.Install(R"(
name: no-writes
subjects: {identities: [claude]}
connections: [demo]
default_action: allow
rules:
  - name: no-writes
    match: {classes: [write]}
    action: deny
)",
            2);
  auto now = std::chrono::steady_clock::now();
  f.guard.StartFunctionCatalogLoad(now);
  f.Back(CatalogAnswer({Row("f", "public", "tally", "f")}));
  CHECK(f.Front(pgwire::BuildQuery("SELECT tally()")) == pgwire::BuildQuery("SELECT tally()"));
  f.Back(pgwire::BuildCommandComplete("SELECT 1") + pgwire::BuildReadyForQuery('I'));
  CHECK(f.guard.OnIdle(now).empty());

  const std::string ddl = pgwire::BuildQuery(
      "CREATE OR REPLACE FUNCTION tally() RETURNS int "
      "LANGUAGE sql VOLATILE AS 'SELECT 1'");
  CHECK(f.Front(ddl) == ddl);
  f.Back(pgwire::BuildCommandComplete("CREATE FUNCTION") + pgwire::BuildReadyForQuery('I'));
  // Decided stale: the listed stable function is not trusted any more.
  std::string out = f.Front(pgwire::BuildQuery("SELECT tally()"));
  CHECK_THAT(DenialFor(f, out), Catch::Contains("changed it since"));
  // Inside a transaction block no reload is sent.
  f.Back(pgwire::BuildReadyForQuery('T'));
  CHECK(f.guard.OnIdle(now).empty());
  f.Front(pgwire::BuildQuery("COMMIT"));
  f.Back(pgwire::BuildCommandComplete("COMMIT") + pgwire::BuildReadyForQuery('I'));
  // The reload goes ahead of the next statement, which is still decided stale.
  out = f.Front(pgwire::BuildQuery("SELECT tally()"));
  CHECK_FALSE(f.guard.OnIdle(now).empty());
  f.Back(CatalogAnswer({Row("f", "public", "tally", "t")}));
  CHECK_THAT(DenialFor(f, out), Catch::Contains("changed it since"));
  f.Back(pgwire::BuildReadyForQuery('I'));
  out = f.Front(pgwire::BuildQuery("SELECT tally()"));
  CHECK_THAT(DenialFor(f, out), Catch::Contains("declares VOLATILE"));
}

TEST_CASE("guard: a failed catalog load fails closed and is retried", "[guard]") {
  Fixture f;
  f.Install(kReadOnly, 2);
  auto now = std::chrono::steady_clock::now();
  f.guard.StartFunctionCatalogLoad(now);
  f.Back(pgwire::BuildErrorResponse("ERROR", "57014", "canceling statement due to timeout") +
         pgwire::BuildReadyForQuery('I'));
  CHECK_FALSE(f.guard.loading_function_catalog());
  std::string out = f.Front(pgwire::BuildQuery("SELECT tally()"));
  CHECK_THAT(DenialFor(f, out), Catch::Contains("not a built-in"));
  f.Back(pgwire::BuildReadyForQuery('I'));
  CHECK(f.guard.OnIdle(now + std::chrono::seconds(1)).empty());
  CHECK_FALSE(f.guard.OnIdle(now + agent::StatementGuard::kFunctionCatalogRetry).empty());
}
