// What the classifier's parser assumes about the session (parser_settings.h), and the setting
// changes the classifier finds in statements.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "common/sql/classify/classifier.h"
#include "common/sql/classify/parser_settings.h"

using namespace warden::sql;
using Scope = SettingChange::Scope;
using Value = SettingChange::Value;

namespace {

std::vector<SettingChange> Changes(const std::string& sql) {
  ClassifiedBatch b = Classify(sql);
  INFO(sql << ": " << b.parse_error);
  REQUIRE(b.parsed);
  std::vector<SettingChange> out;
  for (const auto& s : b.statements) out.insert(out.end(), s.settings.begin(), s.settings.end());
  return out;
}

std::string Problem(const std::string& sql) { return SettingChangeProblem(Classify(sql)); }

}  // namespace

TEST_CASE("PostgreSQL's boolean spellings", "[sql][settings]") {
  for (const char* on : {"on", "ON", "true", "t", "TRU", "yes", "y", "1"}) {
    CHECK(ParsePostgresBool(on) == true);
  }
  for (const char* off : {"off", "OF", "false", "f", "no", "N", "0"}) {
    CHECK(ParsePostgresBool(off) == false);
  }
  for (const char* neither : {"", "o", "2", "onn", "yess", " on"}) {
    CHECK_FALSE(ParsePostgresBool(neither).has_value());
  }
}

TEST_CASE("client encodings: ASCII-safe ones in any spelling, client-only ones refused",
          "[sql][settings]") {
  for (const char* ok : {"UTF8", "utf-8", "Unicode", "LATIN1", "iso_8859_1", "WIN1252",
                         "windows-1251", "EUC_JP", "SQL_ASCII", "KOI8R", "MULE_INTERNAL"}) {
    CHECK(ClientEncodingKeepsAscii(ok));
  }
  for (const char* bad :
       {"SJIS", "sjis", "Shift_JIS", "MSKANJI", "WIN932", "windows-932", "BIG5", "win950", "GBK",
        "WIN936", "UHC", "win949", "GB18030", "JOHAB", "SHIFT_JIS_2004", "", "klingon"}) {
    CHECK_FALSE(ClientEncodingKeepsAscii(bad));
  }
}

TEST_CASE("the classifier finds every way a statement changes a setting", "[sql][settings]") {
  CHECK(Changes("SET standard_conforming_strings = off") ==
        std::vector<SettingChange>{
            {"standard_conforming_strings", Value::kLiteral, "off", Scope::kSession}});
  CHECK(Changes("set LOCAL Standard_Conforming_Strings TO 'OFF'")[0].value_text == "OFF");
  CHECK(Changes("SET NAMES 'SJIS'")[0].name == "client_encoding");
  CHECK(Changes("SET client_encoding TO DEFAULT")[0].value == Value::kDefault);
  CHECK(Changes("RESET standard_conforming_strings")[0].value == Value::kDefault);
  CHECK(Changes("RESET ALL")[0].name == "*");
  CHECK(Changes("DISCARD ALL")[0].name == "*");
  CHECK(Changes("SET standard_conforming_strings = 0")[0].value == Value::kConstant);
  // set_config anywhere in any statement, with constant or computed arguments.
  auto sc = Changes(
      "SELECT 1 FROM t WHERE set_config('standard_conforming_strings', 'off', false) "
      "IS NOT NULL");
  REQUIRE(sc.size() == 1);
  CHECK(sc[0].value_text == "off");
  CHECK(Changes("WITH x AS (SELECT pg_catalog.set_config('client_encoding', 'sjis', true)) "
                "SELECT * FROM x")[0]
            .value_text == "sjis");
  CHECK(Changes("SELECT set_config(name, 'off', false) FROM s")[0].name.empty());
  CHECK(Changes("SELECT set_config('standard_conforming_strings', v, false) FROM s")[0].value ==
        Value::kComputed);
  // Stored for later sessions, or only while a function runs.
  CHECK(Changes("ALTER ROLE app SET standard_conforming_strings = off")[0].scope == Scope::kStored);
  CHECK(Changes("ALTER DATABASE demo SET client_encoding = 'SJIS'")[0].scope == Scope::kStored);
  CHECK(Changes("ALTER SYSTEM SET standard_conforming_strings = off")[0].scope == Scope::kStored);
  CHECK(Changes("CREATE FUNCTION f() RETURNS int LANGUAGE sql SET standard_conforming_strings = "
                "off AS 'SELECT 1'")[0]
            .scope == Scope::kFunction);
  // Plain EXPLAIN runs nothing.
  CHECK(Changes("EXPLAIN SELECT set_config('standard_conforming_strings', 'off', false)").empty());
}

TEST_CASE("changes that would make the database read text differently are refused",
          "[sql][settings]") {
  for (const char* bad : {
           "SET standard_conforming_strings = off",
           "SET SESSION standard_conforming_strings = false",
           "SET LOCAL standard_conforming_strings TO 'no'",
           "SET standard_conforming_strings = 0",
           "SELECT set_config('standard_conforming_strings', 'off', false)",
           "SELECT 1; SELECT set_config('STANDARD_CONFORMING_STRINGS', 'of', true)",
           "SELECT set_config('standard_conforming_strings', lower('OFF'), false)",
           "SET client_encoding = 'SJIS'",
           "SET NAMES 'big5'",
           "SELECT set_config('client_encoding', 'GBK', false)",
           "ALTER ROLE app SET standard_conforming_strings = off",
           "ALTER SYSTEM SET client_encoding = 'UHC'",
           "PREPARE p AS SELECT set_config('standard_conforming_strings', 'off', false)",
           "EXPLAIN ANALYZE SELECT set_config('standard_conforming_strings', 'off', false)",
       }) {
    INFO(bad);
    CHECK_FALSE(Problem(bad).empty());
  }
  for (const char* ok : {
           "SET standard_conforming_strings = on",
           "SET standard_conforming_strings TO true",
           "RESET standard_conforming_strings",
           "RESET ALL",
           "DISCARD ALL",
           "SET client_encoding = 'LATIN1'",
           "SET NAMES 'UTF8'",
           "SET client_encoding TO DEFAULT",
           "SET application_name = 'x'",
           "SELECT set_config(name, 'x', false) FROM pg_settings WHERE name = 'work_mem'",
           "SELECT set_config('application_name', 'report', false)",
           "CREATE FUNCTION f() RETURNS int LANGUAGE sql SET standard_conforming_strings = off "
           "AS 'SELECT 1'",
           "EXPLAIN SELECT set_config('standard_conforming_strings', 'off', false)",
       }) {
    INFO(ok);
    CHECK(Problem(ok).empty());
  }
  CHECK_THAT(Problem("SET standard_conforming_strings = off"),
             Catch::Contains("standard_conforming_strings must stay on"));
  CHECK_THAT(Problem("SET NAMES 'sjis'"), Catch::Contains("client_encoding \"sjis\""));
}

TEST_CASE("settings as the database reports or the client sends them", "[sql][settings]") {
  CHECK(LexingSettingProblem("standard_conforming_strings", "on").empty());
  CHECK_FALSE(LexingSettingProblem("standard_conforming_strings", "off").empty());
  CHECK_FALSE(LexingSettingProblem("Standard_Conforming_Strings", "nonsense").empty());
  CHECK(LexingSettingProblem("client_encoding", "UTF8").empty());
  CHECK_FALSE(LexingSettingProblem("client_encoding", "SJIS").empty());
  CHECK(LexingSettingProblem("application_name", "anything \\ at all").empty());
}

TEST_CASE("texts whose reading depends on the lexing settings", "[sql][settings]") {
  CHECK_FALSE(TextDependsOnLexingSettings("SELECT 'plain', $$x$$, \"id\" FROM t"));
  CHECK(TextDependsOnLexingSettings("SELECT 'x\\' -- ' ; DELETE FROM orders"));
  CHECK(TextDependsOnLexingSettings("SELECT E'\x95\\'; DELETE FROM orders; SELECT 1 --'"));
  CHECK(TextDependsOnLexingSettings("SELECT 'café'"));
}

TEST_CASE("EXPLAIN's ANALYZE option: the last one decides, in every spelling", "[sql]") {
  auto cls = [](const std::string& sql) {
    ClassifiedBatch b = Classify(sql);
    REQUIRE(b.parsed);
    return std::string(ClassName(b.statements.at(0).statement_class));
  };
  CHECK(cls("EXPLAIN (ANALYZE false, ANALYZE true) DELETE FROM orders") == "write");
  CHECK(cls("EXPLAIN (ANALYZE true, ANALYZE false) DELETE FROM orders") == "read");
  CHECK(cls("EXPLAIN (analyze 'OFF', analyze) DELETE FROM orders") == "write");
  CHECK(cls("EXPLAIN (ANALYZE 0, ANALYZE 1) DELETE FROM orders") == "write");
  CHECK(cls("EXPLAIN (ANALYZE 1, ANALYZE 0) DELETE FROM orders") == "read");
  CHECK(cls("EXPLAIN (ANALYZE ON) DELETE FROM orders") == "write");
  CHECK(cls("EXPLAIN (ANALYZE FALSE) DELETE FROM orders") == "read");
  CHECK(cls("EXPLAIN (ANALYZE maybe) DELETE FROM orders") == "write");  // the server refuses it
  CHECK(cls("EXPLAIN ANALYZE VERBOSE DELETE FROM orders") == "write");
}

TEST_CASE("SELECT ... INTO creates a table: ddl, like CREATE TABLE AS", "[sql]") {
  ClassifiedBatch b = Classify("SELECT * INTO backup FROM customers");
  REQUIRE(b.parsed);
  CHECK(b.statements[0].statement_class == warden::v1::STATEMENT_CLASS_DDL);
  CHECK(b.statements[0].command_tag == "SELECT");
}

TEST_CASE("PREPARE and DEALLOCATE changes, by statement", "[sql]") {
  PreparedStatements known;
  auto changes = PreparedChanges(
      "SELECT 1; PREPARE p AS DELETE FROM t; DEALLOCATE q; "
      "DEALLOCATE ALL; EXECUTE p",
      known);
  REQUIRE(changes.size() == 3);
  CHECK(changes[0].statement_index == 1);
  CHECK(changes[0].name == "p");
  REQUIRE(changes[0].body);
  CHECK(changes[0].body->command_tag == "DELETE");
  CHECK(changes[1].statement_index == 2);
  CHECK_FALSE(changes[1].body);
  CHECK(changes[2].all);
  ApplyPreparedChange(changes[0], &known);
  CHECK(known.count("p") == 1);
  ApplyPreparedChange(changes[2], &known);
  CHECK(known.empty());
}
