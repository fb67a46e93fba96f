// Column masking in the agent's result masker, end to end in process: the catalog snapshot is
// loaded in band (the masker's own query, its answer swallowed), results are matched to their
// statements through the simple and extended protocols, cursors and COPY, and each column fed
// by a masked column is masked whole.
#include <catch2/catch.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/postgres/copy_row.h"
#include "agent/postgres/result_masker.h"
#include "common/pgwire/pgwire.h"
#include "common/policy/policy_yaml.h"

using namespace warden;
using agent::ResultMasker;
using pgwire::FieldDescription;

namespace {

constexpr char kColumnPolicy[] = R"(
name: columns
subjects: {groups: [ai-agents]}
connections: [demo]
default_action: allow
masking:
  - name: names
    columns: [customers.name]
    strategy: redact
  - name: ssns
    columns: ["*.ssn"]
    strategy: "null"
)";

constexpr uint32_t kInt4 = 23;
constexpr uint32_t kText = 25;
constexpr uint32_t kCustomers = 16384;

FieldDescription Field(std::string_view name, uint32_t type, uint32_t table = 0,
                       int16_t attnum = 0) {
  FieldDescription f;
  f.name = name;
  f.table_oid = table;
  f.column_attnum = attnum;
  f.type_oid = type;
  f.type_size = -1;
  return f;
}

std::string Row(const std::vector<std::optional<std::string_view>>& values) {
  return pgwire::BuildDataRow(values);
}

struct Fixture {
  Fixture() {
    auto p = policy::ParsePolicyYaml(kColumnPolicy, "columns.yaml");
    REQUIRE(p.ok());
    auto snap = std::make_shared<v1::PolicySnapshot>();
    snap->set_version(1);
    *snap->add_policies() = *p;
    holder.Install(snap);
  }

  std::string Back(std::string_view in) {
    std::string out;
    REQUIRE(masker.Backend(in, &out).ok());
    return out;
  }
  void Front(std::string_view in) { REQUIRE(masker.Frontend(in).ok()); }

  // The masker asks for its catalog at the first idle moment; the database answers.
  void LoadCatalog() {
    const std::string query = masker.OnIdle();
    REQUIRE(!query.empty());
    CHECK(query[0] == 'Q');
    CHECK(masker.OnIdle().empty());  // one load at a time
    std::string answer = pgwire::BuildRowDescription(
        {Field("oid", 26), Field("schema", 19), Field("name", 19), Field("relkind", 18),
         Field("attnum", 21), Field("attname", 19), Field("viewdef", kText)});
    const std::string oid = std::to_string(kCustomers);
    answer += Row({oid, "public", "customers", "r", "0", std::nullopt, std::nullopt});
    int attnum = 1;
    for (const char* column : {"id", "name", "email", "card_number", "ssn"}) {
      answer +=
          Row({oid, "public", "customers", "r", std::to_string(attnum++), column, std::nullopt});
    }
    answer += pgwire::BuildCommandComplete("SELECT 6") + pgwire::BuildReadyForQuery('I');
    CHECK(Back(answer).empty());     // the client never sees it
    CHECK(masker.OnIdle().empty());  // loaded
  }

  agent::PolicyHolder holder;
  agent::DecisionCounters counters;
  ResultMasker masker{holder, policy::Subject{"claude", {"ai-agents"}, "demo"}, "ses_test",
                      &counters};
};

}  // namespace

TEST_CASE("columns fed by a masked column are masked whole, by RowDescription and lineage",
          "[column_masking]") {
  Fixture f;
  f.LoadCatalog();
  f.Front(pgwire::BuildQuery(
      "SELECT id, name, upper(name) AS shout, ssn, email, c.id::text FROM customers c"));
  const std::string desc = pgwire::BuildRowDescription(
      {Field("id", kInt4, kCustomers, 1), Field("name", kText, kCustomers, 2),
       Field("shout", kText), Field("ssn", kText, kCustomers, 5),
       Field("email", kText, kCustomers, 3), Field("id", kText)});
  const std::string in =
      desc + Row({"1", "Customer 1", "CUSTOMER 1", "101-10-1001", "c1@example.com", "1"}) +
      pgwire::BuildCommandComplete("SELECT 1") + pgwire::BuildReadyForQuery('I');
  const std::string expected =
      desc + Row({"1", "****", "****", std::nullopt, "c1@example.com", "1"}) +
      pgwire::BuildCommandComplete("SELECT 1") + pgwire::BuildReadyForQuery('I');
  CHECK(f.Back(in) == expected);
  CHECK(f.counters.Masked("columns", "names") == 2);
  CHECK(f.counters.Masked("columns", "ssns") == 1);
}

TEST_CASE("extended protocol: a described statement stays masked when executed again",
          "[column_masking]") {
  Fixture f;
  f.LoadCatalog();
  f.Front(pgwire::BuildParse("s1", "SELECT name || '!' FROM customers WHERE id = $1") +
          pgwire::BuildBind("", "s1", {}, {"1"}, {}) + pgwire::BuildDescribe('P', "") +
          pgwire::BuildExecute("") + pgwire::BuildSync());
  const std::string desc = pgwire::BuildRowDescription({Field("?column?", kText)});
  std::string in = pgwire::BuildParseComplete() + pgwire::BuildBindComplete() + desc +
                   Row({"Customer 1!"}) + pgwire::BuildCommandComplete("SELECT 1") +
                   pgwire::BuildReadyForQuery('I');
  std::string expected = pgwire::BuildParseComplete() + pgwire::BuildBindComplete() + desc +
                         Row({"****"}) + pgwire::BuildCommandComplete("SELECT 1") +
                         pgwire::BuildReadyForQuery('I');
  CHECK(f.Back(in) == expected);
  // A client that knows the columns skips Describe the second time.
  f.Front(pgwire::BuildBind("", "s1", {}, {"2"}, {}) + pgwire::BuildExecute("") +
          pgwire::BuildSync());
  in = pgwire::BuildBindComplete() + Row({"Customer 2!"}) +
       pgwire::BuildCommandComplete("SELECT 1") + pgwire::BuildReadyForQuery('I');
  expected = pgwire::BuildBindComplete() + Row({"****"}) +
             pgwire::BuildCommandComplete("SELECT 1") + pgwire::BuildReadyForQuery('I');
  CHECK(f.Back(in) == expected);
}

TEST_CASE("a cursor's rows follow its DECLARE; unknown functions are masked whole",
          "[column_masking]") {
  Fixture f;
  f.LoadCatalog();
  f.Front(pgwire::BuildQuery("BEGIN; DECLARE c CURSOR FOR SELECT lower(name), id FROM customers"));
  const std::string declared = pgwire::BuildCommandComplete("BEGIN") +
                               pgwire::BuildCommandComplete("DECLARE CURSOR") +
                               pgwire::BuildReadyForQuery('T');
  CHECK(f.Back(declared) == declared);
  f.Front(pgwire::BuildQuery("FETCH 1 FROM c"));
  const std::string desc =
      pgwire::BuildRowDescription({Field("lower", kText), Field("id", kInt4, kCustomers, 1)});
  CHECK(f.Back(desc + Row({"customer 1", "1"})) == desc + Row({"****", "1"}));
  CHECK(f.Back(pgwire::BuildCommandComplete("FETCH 1") + pgwire::BuildReadyForQuery('T')) ==
        pgwire::BuildCommandComplete("FETCH 1") + pgwire::BuildReadyForQuery('T'));
  f.Front(pgwire::BuildQuery("SELECT my_secret_function(id), my_secret_function(id)::int"));
  const std::string fn = pgwire::BuildRowDescription({Field("a", kText), Field("b", kInt4)});
  CHECK(f.Back(fn + Row({"anything", "7"})) == fn + Row({"****", std::nullopt}));
}

TEST_CASE("COPY rows are split into columns and masked; other formats refused",
          "[column_masking]") {
  Fixture f;
  f.LoadCatalog();
  f.Front(pgwire::BuildQuery("COPY customers (id, name, email) TO STDOUT"));
  const std::string start = pgwire::BuildCopyOutResponse(0, {0, 0, 0});
  CHECK(f.Back(start + pgwire::BuildCopyData("1\tCustomer\\t1\tc1@example.com\n")) ==
        start + pgwire::BuildCopyData("1\t****\tc1@example.com\n"));
  f.Back(pgwire::BuildCopyDone() + pgwire::BuildCommandComplete("COPY 1") +
         pgwire::BuildReadyForQuery('I'));
  f.Front(
      pgwire::BuildQuery("COPY (SELECT id, ssn, name FROM customers) TO STDOUT (FORMAT csv, "
                         "HEADER)"));
  CHECK(f.Back(start + pgwire::BuildCopyData("id,ssn,name\n") +
               pgwire::BuildCopyData("1,101-10-1001,\"Customer, 1\"\n")) ==
        start + pgwire::BuildCopyData("id,ssn,name\n") + pgwire::BuildCopyData("1,,****\n"));
  f.Back(pgwire::BuildCopyDone() + pgwire::BuildCommandComplete("COPY 1") +
         pgwire::BuildReadyForQuery('I'));
  f.Front(pgwire::BuildQuery("COPY customers (name) TO STDOUT (DELIMITER '|')"));
  const std::string refused =
      f.Back(pgwire::BuildCopyOutResponse(0, {0}) + pgwire::BuildCopyData("Customer 1\n") +
             pgwire::BuildCopyDone() + pgwire::BuildCommandComplete("COPY 1") +
             pgwire::BuildReadyForQuery('I'));
  CHECK(refused.find("Customer") == std::string::npos);
  CHECK(refused.find("only allowed in the default text or CSV format") != std::string::npos);
}

TEST_CASE("before its catalog loads, columns named by table are of unknown origin",
          "[column_masking]") {
  Fixture f;  // no OnIdle yet: nothing is known
  const std::string desc = pgwire::BuildRowDescription(
      {Field("id", kInt4, kCustomers, 1), Field("email", kText, kCustomers, 3)});
  CHECK(f.Back(desc + Row({"1", "c1@example.com"})) == desc + Row({std::nullopt, "****"}));
}

TEST_CASE("COPY rows: masked fields are replaced, escaped and quoted as the server would",
          "[column_masking]") {
  std::vector<std::string> seen;
  auto mask = [&seen](size_t i, std::string_view v, std::string* out) {
    seen.emplace_back(v);
    if (i == 2) {
      out->append("dropped");  // NULL: whatever was appended goes
      return false;
    }
    out->append("<").append(v).append(">");
    return true;
  };
  std::string out = "before|";  // appended to
  REQUIRE(agent::RewriteCopyRow("a\\tb\t\\N\tc\\\\d\\n\t\n", false, {true, true, true, false}, mask,
                                &out));
  CHECK(out == "before|<a\\tb>\t\\N\t\\N\t\n");  // tab escaped again; NULL stays; 2 nulled
  CHECK(seen == std::vector<std::string>{"a\tb", "c\\d\n"});
  seen.clear();
  out.clear();
  REQUIRE(agent::RewriteCopyRow("1,,\"\",\"a,\"\"b\"\"\nc\",x\n", true,
                                {false, true, true, true, false}, mask, &out));
  CHECK(seen == std::vector<std::string>{"", "a,\"b\"\nc"});
  CHECK(out == "1,,,\"<a,\"\"b\"\"\nc>\",x\n");
  out.clear();
  CHECK(!agent::RewriteCopyRow("no newline", false, {true}, mask, &out));
  CHECK(!agent::RewriteCopyRow("\"open,\n", true, {true, true}, mask, &out));
  CHECK(!agent::RewriteCopyRow("a\tb\n", false, {true}, mask, &out));     // too many fields
  CHECK(!agent::RewriteCopyRow("a\n", false, {true, true}, mask, &out));  // too few
}

TEST_CASE("errors and notices of statements touching masked columns have their texts withheld",
          "[column_masking]") {
  Fixture f;
  f.LoadCatalog();
  const std::string ready = pgwire::BuildReadyForQuery('I');
  auto run = [&f, &ready](std::string_view sql, const std::string& answer) {
    f.Front(pgwire::BuildQuery(sql));
    return f.Back(answer + ready);
  };
  // A failing cast prints the value: withheld, the SQLSTATE kept, and the reason given.
  std::string out = run("SELECT name::int FROM customers WHERE id = 1",
                        pgwire::BuildErrorResponse("ERROR", "22P02",
                                                   "invalid input syntax for type integer: "
                                                   "\"Customer 1\"",
                                                   "the detail", "the hint"));
  CHECK(out.find("Customer") == std::string::npos);
  CHECK(out.find("the detail") == std::string::npos);
  CHECK(out.find("22P02") != std::string::npos);
  CHECK(out.find("message withheld: masking rule \"names\" covers customers") != std::string::npos);
  // A constraint violation in a write names the row.
  out = run("UPDATE customers SET id = -1 WHERE id = 1",
            pgwire::BuildErrorResponse("ERROR", "23514", "new row violates check constraint",
                                       "Failing row contains (-1, Customer 1, ...)."));
  CHECK(out.find("Customer 1") == std::string::npos);
  // Code Warden cannot see into, and functions that may read anything.
  out = run("DO $$ BEGIN RAISE NOTICE '%', (SELECT name FROM customers LIMIT 1); END $$",
            pgwire::BuildNoticeResponse("NOTICE", "00000", "Customer 1") +
                pgwire::BuildCommandComplete("DO"));
  CHECK(out.find("Customer 1") == std::string::npos);
  CHECK(out.find("code Warden cannot see into") != std::string::npos);
  out = run("SELECT my_function()",
            pgwire::BuildErrorResponse("ERROR", "P0001", "Customer 1 is not allowed"));
  CHECK(out.find("calls my_function()") != std::string::npos);
  CHECK(out.find("Customer 1") == std::string::npos);
  // An error about the statement's own text (class 42 with a cursor position: raised while
  // parsing) keeps its text; the same class at run time (current_setting(name)) does not.
  pgwire::ErrorResponse parse_error;
  parse_error.fields = {
      {'S', "ERROR"}, {'C', "42703"}, {'M', "column \"nmae\" does not exist"}, {'P', "8"}};
  std::string error;
  pgwire::Encode(parse_error, &error);
  CHECK(run("SELECT nmae FROM customers", error) == error + ready);
  out = run("SELECT current_setting(name) FROM customers",
            pgwire::BuildErrorResponse("ERROR", "42704",
                                       "unrecognized configuration parameter \"Customer 1\""));
  CHECK(out.find("Customer 1") == std::string::npos);
  // A COMMIT runs deferred constraints and triggers; a write runs triggers.
  out = run("COMMIT", pgwire::BuildErrorResponse("ERROR", "23505", "duplicate key",
                                                 "Key (name)=(Customer 1) already exists."));
  CHECK(out.find("Customer 1") == std::string::npos);
  out = run("INSERT INTO orders VALUES (1)",
            pgwire::BuildErrorResponse("ERROR", "P0001", "trigger says Customer 1"));
  CHECK(out.find("Customer 1") == std::string::npos);
  // A Query of several statements commits as its last one ends: a deferred constraint of an
  // earlier write fails there, on a statement that touches nothing.
  out = run("INSERT INTO orders VALUES (1); SELECT 1",
            pgwire::BuildCommandComplete("INSERT 0 1") +
                pgwire::BuildErrorResponse("ERROR", "23505", "duplicate key",
                                           "Key (name)=(Customer 1) already exists."));
  CHECK(out.find("Customer 1") == std::string::npos);
  CHECK(out.find("writes orders") != std::string::npos);
  // Statements that touch no masked relation pass as they are, alone or together.
  error = pgwire::BuildErrorResponse("ERROR", "22012", "division by zero");
  CHECK(run("SELECT 1 / 0", error) == error + ready);
  CHECK(
      run("SELECT 1 FROM orders; SELECT 1 / 0", pgwire::BuildCommandComplete("SELECT 1") + error) ==
      pgwire::BuildCommandComplete("SELECT 1") + error + ready);
  error = pgwire::BuildErrorResponse("ERROR", "22P02", "invalid input syntax: \"abc\"");
  CHECK(run("SELECT 'abc'::int FROM orders", error) == error + ready);
}

TEST_CASE("under column rules a NOTIFY payload is of unknown origin: redacted, channel kept",
          "[column_masking]") {
  Fixture f;
  f.LoadCatalog();
  pgwire::NotificationResponse n{42, "customers", "Customer 1 changed"};
  std::string in;
  pgwire::Encode(n, &in);
  n.payload = "****";
  std::string expected;
  pgwire::Encode(n, &expected);
  CHECK(f.Back(in) == expected);
  CHECK(f.counters.Masked("columns", "names") == 1);
  n.payload = "";  // an empty payload has nothing to hide
  in.clear();
  pgwire::Encode(n, &in);
  CHECK(f.Back(in) == in);
}

TEST_CASE("SQL and protocol names share one namespace: EXECUTE runs what Parse made last",
          "[column_masking]") {
  Fixture f;
  f.LoadCatalog();
  const std::string ready = pgwire::BuildReadyForQuery('I');
  f.Front(pgwire::BuildQuery("PREPARE p AS SELECT 'nothing'"));
  f.Back(pgwire::BuildCommandComplete("PREPARE") + ready);
  f.Front(pgwire::BuildQuery("DEALLOCATE p"));
  f.Back(pgwire::BuildCommandComplete("DEALLOCATE") + ready);
  f.Front(pgwire::BuildParse("p", "SELECT lower(name) FROM customers") + pgwire::BuildSync());
  f.Back(pgwire::BuildParseComplete() + ready);
  f.Front(pgwire::BuildQuery("EXECUTE p"));
  const std::string desc = pgwire::BuildRowDescription({Field("lower", kText)});
  CHECK(f.Back(desc + Row({"customer 1"})) == desc + Row({"****"}));
  f.Back(pgwire::BuildCommandComplete("SELECT 1") + ready);
  // And a cursor name a Bind took over.
  f.Front(pgwire::BuildQuery("BEGIN; DECLARE c CURSOR FOR SELECT 'nothing'; CLOSE c"));
  f.Back(pgwire::BuildCommandComplete("BEGIN") + pgwire::BuildCommandComplete("DECLARE CURSOR") +
         pgwire::BuildCommandComplete("CLOSE CURSOR") + pgwire::BuildReadyForQuery('T'));
  f.Front(pgwire::BuildBind("c", "p", {}, {}, {}) + pgwire::BuildSync());
  f.Back(pgwire::BuildBindComplete() + pgwire::BuildReadyForQuery('T'));
  f.Front(pgwire::BuildQuery("FETCH 1 FROM c"));
  CHECK(f.Back(desc + Row({"customer 2"})) == desc + Row({"****"}));
}
