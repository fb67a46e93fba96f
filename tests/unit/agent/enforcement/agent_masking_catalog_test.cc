// The agent's masking catalog (agent/enforcement/masking_catalog.h): which (table OID, attnum) a
// column rule masks, views followed through their definitions, from hand-made catalog rows and
// from rows captured from a real PostgreSQL 15; and the catalog query's text.
#include <catch2/catch.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/enforcement/masking_catalog.h"
#include "common/masking/rule_set.h"
#include "common/sql/lineage/column_lineage.h"

using namespace warden;
using agent::CatalogRow;
using agent::MaskingCatalog;
using agent::MaskingCatalogQuery;
using Mask = MaskingCatalog::Mask;

namespace {

v1::MaskingRule Rule(const std::string& name, std::vector<std::string> columns,
                     v1::MaskStrategy strategy = v1::MASK_STRATEGY_REDACT) {
  v1::MaskingRule rule;
  rule.set_name(name);
  rule.set_strategy(strategy);
  for (const std::string& c : columns) rule.add_columns(c);
  return rule;
}

// Rule indices: 0 ssn, 1 email, 2 cards (public only), 3 notes (other schema only).
std::vector<v1::MaskingRule> DemoRules() {
  return {Rule("ssn", {"customers.ssn", "*.tax_id"}, v1::MASK_STRATEGY_NULL),
          Rule("email", {"*.email"}), Rule("cards", {"public.customers.card_number"}),
          Rule("notes", {"other.*.note"})};
}

masking::RuleSet Compile(const std::vector<v1::MaskingRule>& rules) {
  absl::StatusOr<masking::RuleSet> set = masking::RuleSet::Compile(rules, "");
  INFO(set.status().ToString());
  REQUIRE(set.ok());
  return *std::move(set);
}

// A relation as the catalog query lists it; an empty column name stands for a dropped column
// (its attnum is skipped).
struct Rel {
  uint32_t oid;
  std::string schema;
  std::string name;
  char kind;
  std::vector<std::string> columns;
  std::optional<std::string> viewdef = std::nullopt;
};

std::vector<CatalogRow> RowsOf(const std::vector<Rel>& rels) {
  std::vector<CatalogRow> rows;
  for (const Rel& r : rels) {
    const std::string oid = std::to_string(r.oid);
    const std::string kind(1, r.kind);
    rows.push_back({oid, r.schema, r.name, kind, "0", std::nullopt, r.viewdef});
    for (size_t i = 0; i < r.columns.size(); ++i) {
      if (r.columns[i].empty()) continue;
      rows.push_back(
          {oid, r.schema, r.name, kind, std::to_string(i + 1), r.columns[i], std::nullopt});
    }
  }
  return rows;
}

constexpr uint32_t kCustomers = 16400;
constexpr uint32_t kOtherCustomers = 16500;

const Rel kCustomersRel{kCustomers,
                        "public",
                        "customers",
                        'r',
                        {"id", "name", "email", "card_number", "ssn", "", "created_at"}};
const Rel kOtherRel{
    kOtherCustomers, "other", "customers", 'r', {"id", "ssn", "card_number", "Note"}};

MaskingCatalog BuildOf(const std::vector<Rel>& rels, const masking::RuleSet& rules) {
  absl::StatusOr<MaskingCatalog> catalog = MaskingCatalog::Build(RowsOf(rels), rules);
  INFO(catalog.status().ToString());
  REQUIRE(catalog.ok());
  return *std::move(catalog);
}

// The rows a real PostgreSQL 15 returned for the query of RealRules(): deploy/demo/seed.sql, then
// views over it (renaming, concatenating, row_to_json, UNION, a view of a view, a materialized
// view, one calling a user function), tables in other schemas (one named O'k\x%_, and one named
// o'k\xZZ that the escaped pattern rightly left out), a temporary table and view, all under
// `SET search_path = evil, pg_catalog, public` with evil.lower, evil.~~ and evil.= defined.
// Unrelated tables (orders) and views over them are not listed.
std::vector<v1::MaskingRule> RealRules() {
  std::vector<v1::MaskingRule> rules = DemoRules();
  rules.push_back(Rule("odd", {"O'k\\x%_.*.c?l*"}));
  return rules;
}

constexpr std::nullopt_t kNull = std::nullopt;
const std::vector<CatalogRow> kRealRows = {
    {"16385", "public", "customers", "r", "0", kNull, kNull},
    {"16385", "public", "customers", "r", "1", "id", kNull},
    {"16385", "public", "customers", "r", "2", "name", kNull},
    {"16385", "public", "customers", "r", "3", "email", kNull},
    {"16385", "public", "customers", "r", "4", "card_number", kNull},
    {"16385", "public", "customers", "r", "5", "ssn", kNull},
    {"16385", "public", "customers", "r", "6", "created_at", kNull},
    {"16410", "public", "v_plain", "v", "0", kNull,
     " SELECT customers.id,\n    customers.email\n   FROM customers;"},
    {"16410", "public", "v_plain", "v", "1", "id", kNull},
    {"16410", "public", "v_plain", "v", "2", "email", kNull},
    {"16414", "public", "v_rename", "v", "0", kNull,
     " SELECT customers.id AS cid,\n    customers.ssn AS tax_id,\n    customers.name\n   FROM "
     "customers;"},
    {"16414", "public", "v_rename", "v", "1", "cid", kNull},
    {"16414", "public", "v_rename", "v", "2", "tax_id", kNull},
    {"16414", "public", "v_rename", "v", "3", "name", kNull},
    {"16418", "public", "v_concat", "v", "0", kNull,
     " SELECT customers.id,\n    (((customers.name || ' <'::text) || customers.email) || "
     "'>'::text) AS contact\n   FROM customers;"},
    {"16418", "public", "v_concat", "v", "1", "id", kNull},
    {"16418", "public", "v_concat", "v", "2", "contact", kNull},
    {"16422", "public", "v_row", "v", "0", kNull,
     " SELECT c.id,\n    row_to_json(c.*) AS doc\n   FROM customers c;"},
    {"16422", "public", "v_row", "v", "1", "id", kNull},
    {"16422", "public", "v_row", "v", "2", "doc", kNull},
    {"16426", "public", "v_of_v", "v", "0", kNull,
     " SELECT v_rename.cid,\n    upper(v_rename.tax_id) AS t\n   FROM v_rename;"},
    {"16426", "public", "v_of_v", "v", "1", "cid", kNull},
    {"16426", "public", "v_of_v", "v", "2", "t", kNull},
    {"16430", "public", "v_union", "v", "0", kNull,
     " SELECT customers.email AS x\n   FROM customers\nUNION\n SELECT orders.status AS x\n   FROM "
     "orders;"},
    {"16430", "public", "v_union", "v", "1", "x", kNull},
    {"16438", "public", "mv_cards", "m", "0", kNull,
     " SELECT customers.id,\n    customers.card_number\n   FROM customers;"},
    {"16438", "public", "mv_cards", "m", "1", "id", kNull},
    {"16438", "public", "mv_cards", "m", "2", "card_number", kNull},
    {"16445", "other", "customers", "r", "0", kNull, kNull},
    {"16445", "other", "customers", "r", "1", "id", kNull},
    {"16445", "other", "customers", "r", "2", "ssn", kNull},
    {"16445", "other", "customers", "r", "3", "Email", kNull},
    {"16450", "other", "v_other", "v", "0", kNull,
     " SELECT customers.ssn\n   FROM other.customers;"},
    {"16450", "other", "v_other", "v", "1", "ssn", kNull},
    {"16455", "public", "v_func", "v", "0", kNull, " SELECT leak() AS x,\n    1 AS y;"},
    {"16455", "public", "v_func", "v", "1", "x", kNull},
    {"16455", "public", "v_func", "v", "2", "y", kNull},
    {"16469", "O'k\\x%_", "t", "r", "0", kNull, kNull},
    {"16469", "O'k\\x%_", "t", "r", "1", "id", kNull},
    {"16469", "O'k\\x%_", "t", "r", "2", "CxL", kNull},
    {"16469", "O'k\\x%_", "t", "r", "3", "other", kNull},
    {"16480", "other", "notes", "r", "0", kNull, kNull},
    {"16480", "other", "notes", "r", "1", "id", kNull},
    {"16480", "other", "notes", "r", "2", "Note", kNull},
    {"16485", "other", "v_notes", "v", "0", kNull,
     " SELECT notes.\"Note\" AS body\n   FROM other.notes;"},
    {"16485", "other", "v_notes", "v", "1", "body", kNull},
    {"16498", "public", "v_vv", "v", "0", kNull, " SELECT v_of_v.t AS tt\n   FROM v_of_v;"},
    {"16498", "public", "v_vv", "v", "1", "tt", kNull},
    {"16525", "pg_temp_3", "scratch", "r", "0", kNull, kNull},
    {"16525", "pg_temp_3", "scratch", "r", "1", "id", kNull},
    {"16525", "pg_temp_3", "scratch", "r", "2", "tax_id", kNull},
    {"16530", "pg_temp_3", "tv", "v", "0", kNull, " SELECT scratch.tax_id AS t\n   FROM scratch;"},
    {"16530", "pg_temp_3", "tv", "v", "1", "t", kNull},
};

const Mask kNone{};
const Mask kUnknown{std::nullopt, true};
Mask RuleMask(size_t index) { return Mask{index, false}; }

}  // namespace

TEST_CASE("masking catalog: base columns by OID and by name", "[masking_catalog]") {
  const masking::RuleSet rules = Compile(DemoRules());
  const MaskingCatalog catalog = BuildOf({kCustomersRel, kOtherRel}, rules);
  CHECK(catalog.relations() == 2);

  CHECK(catalog.ByOid(kCustomers, 1) == kNone);
  CHECK(catalog.ByOid(kCustomers, 3) == RuleMask(1));
  CHECK(catalog.ByOid(kCustomers, 4) == RuleMask(2));
  CHECK(catalog.ByOid(kCustomers, 5) == RuleMask(0));
  CHECK(catalog.ByOid(kCustomers, 6) == kNone);  // dropped
  CHECK(catalog.ByOid(kCustomers, 7) == kNone);
  CHECK(catalog.ByOid(kCustomers, -2) == kNone);  // a system column
  CHECK(catalog.ByOid(99999, 1) == kNone);

  // "customers.ssn" holds in every schema; "public.customers.card_number" only in public;
  // "other.*.note" matches the quoted mixed-case "Note" (names compare folded).
  CHECK(catalog.ByOid(kOtherCustomers, 2) == RuleMask(0));
  CHECK(catalog.ByOid(kOtherCustomers, 3) == kNone);
  CHECK(catalog.ByOid(kOtherCustomers, 4) == RuleMask(3));

  CHECK(catalog.ByName("", "customers", "ssn") == RuleMask(0));
  CHECK(catalog.ByName("PUBLIC", "Customers", "EMAIL") == RuleMask(1));
  CHECK(catalog.ByName("other", "customers", "card_number") == kNone);
  CHECK(catalog.ByName("public", "customers", "card_number") == RuleMask(2));
  // No schema written: it may be public's (fail closed).
  CHECK(catalog.ByName("", "customers", "card_number") == RuleMask(2));
  CHECK(catalog.ByName("", "customers", "note") == RuleMask(3));
  CHECK(catalog.ByName("", "customers", "id") == kNone);
  // Rules apply by name to relations the catalog does not list (`*.email` anywhere).
  CHECK(catalog.ByName("", "not_listed", "email") == RuleMask(1));

  // Whole rows: the best mask of any same-named relation's columns (rule 0 beats rule 1).
  CHECK(catalog.AnyColumn("", "customers") == RuleMask(0));
  CHECK(catalog.AnyColumn("other", "customers") == RuleMask(0));
  CHECK(catalog.AnyColumn("", "orders") == kNone);

  REQUIRE(catalog.Columns("public", "customers") != nullptr);
  CHECK(*catalog.Columns("public", "customers") ==
        std::vector<std::string>{"id", "name", "email", "card_number", "ssn", "created_at"});
  REQUIRE(catalog.Columns("other", "CUSTOMERS") != nullptr);
  CHECK(catalog.Columns("other", "CUSTOMERS")->back() == "Note");
  CHECK(catalog.Columns("", "customers") == nullptr);  // two relations, different columns
  CHECK(catalog.Columns("", "orders") == nullptr);
}

TEST_CASE("masking catalog: view columns follow their definitions", "[masking_catalog]") {
  const masking::RuleSet rules = Compile(DemoRules());
  const std::vector<Rel> rels = {
      kCustomersRel,
      {16600, "public", "orders", 'r', {"id", "customer_id", "status"}},
      // A view of a view, listed before the view it reads (the fixed point does not care).
      {16700,
       "public",
       "v_of_v",
       'v',
       {"cid", "t", "a"},
       " SELECT v_rename.cid,\n    upper(v_rename.tax) AS t,\n    v_rename.addr AS a\n"
       "   FROM v_rename;"},
      {16701,
       "public",
       "v_rename",
       'v',
       {"cid", "tax", "addr", "name"},
       " SELECT customers.id AS cid,\n    customers.ssn AS tax,\n    customers.email AS addr,\n"
       "    customers.name\n   FROM customers;"},
      {16702,
       "public",
       "v_concat",
       'v',
       {"id", "contact"},
       " SELECT customers.id,\n    (((customers.name || ' <'::text) || customers.email) || "
       "'>'::text) AS contact\n   FROM customers;"},
      {16703,
       "public",
       "v_row",
       'v',
       {"id", "doc"},
       " SELECT c.id,\n    row_to_json(c.*) AS doc\n   FROM customers c;"},
      {16704,
       "public",
       "v_union",
       'v',
       {"x"},
       " SELECT customers.email AS x\n   FROM customers\nUNION\n SELECT orders.status AS x\n"
       "   FROM orders;"},
      // Its own name matches a rule: that rule, whatever the definition says.
      {16705,
       "public",
       "v_tax",
       'm',
       {"tax_id"},
       " SELECT orders.status AS tax_id\n   FROM orders;"},
      {16706,
       "public",
       "v_func",
       'v',
       {"x", "y", "z"},
       " SELECT leak() AS x,\n    1 AS y,\n    (leak() || customers.email) AS z\n   FROM "
       "customers;"},
      {16707,
       "public",
       "v_orders",
       'v',
       {"id", "status"},
       " SELECT orders.id,\n    orders.status\n   FROM orders;"},
      {16708, "pg_temp_3", "tv", 'v', {"a"}, " SELECT customers.email AS a\n   FROM customers;"},
  };
  const MaskingCatalog catalog = BuildOf(rels, rules);

  CHECK(catalog.ByOid(16701, 1) == kNone);
  CHECK(catalog.ByOid(16701, 2) == RuleMask(0));  // alias of ssn
  CHECK(catalog.ByOid(16701, 3) == RuleMask(1));
  CHECK(catalog.ByOid(16701, 4) == kNone);
  CHECK(catalog.ByOid(16700, 1) == kNone);
  CHECK(catalog.ByOid(16700, 2) == RuleMask(0));  // through v_rename.tax
  CHECK(catalog.ByOid(16700, 3) == RuleMask(1));
  CHECK(catalog.ByOid(16702, 1) == kNone);
  CHECK(catalog.ByOid(16702, 2) == RuleMask(1));  // concatenation
  CHECK(catalog.ByOid(16703, 2) == RuleMask(0));  // whole row: its strongest rule
  CHECK(catalog.ByOid(16704, 1) == RuleMask(1));  // one UNION branch is enough
  CHECK(catalog.ByOid(16705, 1) == RuleMask(0));
  CHECK(catalog.ByOid(16706, 1) == kUnknown);  // a user function may read anything
  CHECK(catalog.ByOid(16706, 2) == kNone);
  CHECK(catalog.ByOid(16706, 3) == RuleMask(1));  // a rule masks the whole value anyway
  CHECK(catalog.ByOid(16707, 1) == kNone);
  CHECK(catalog.ByOid(16707, 2) == kNone);

  // By name, as a query over the views reports its sources.
  CHECK(catalog.ByName("", "v_rename", "tax") == RuleMask(0));
  CHECK(catalog.ByName("public", "V_OF_V", "a") == RuleMask(1));
  CHECK(catalog.ByName("", "v_func", "x") == kUnknown);
  CHECK(catalog.ByName("pg_temp", "tv", "a") == RuleMask(1));
  CHECK(catalog.ByName("public", "tv", "a") == kNone);
  CHECK(catalog.AnyColumn("", "v_orders") == kNone);
  CHECK(catalog.AnyColumn("", "v_func") == RuleMask(1));
  CHECK(catalog.AnyColumn("", "v_row") == RuleMask(0));
}

TEST_CASE("masking catalog: definitions it cannot follow mask their columns", "[masking_catalog]") {
  const masking::RuleSet rules = Compile(DemoRules());
  const MaskingCatalog catalog =
      BuildOf({kCustomersRel,
               {16800, "public", "v_garbage", 'v', {"a", "tax_id"}, "SELEC nonsense"},
               {16801, "public", "v_gone", 'v', {"a"}, std::nullopt},  // dropped meanwhile
               {16802, "public", "v_wide", 'v', {"a", "b"}, " SELECT 1 AS a;"},
               {16803, "public", "v_two", 'v', {"a"}, "SELECT 1; SELECT 2;"},
               {16804, "public", "v_dml", 'v', {"a"}, "DELETE FROM customers;"},
               // Views reading one another: no definition says more, so nothing is masked.
               {16805, "public", "v_a", 'v', {"x"}, " SELECT v_b.x\n   FROM v_b;"},
               {16806, "public", "v_b", 'v', {"x"}, " SELECT v_a.x\n   FROM v_a;"},
               // ... unless one of them also reads a masked column.
               {16807,
                "public",
                "v_c",
                'v',
                {"x"},
                " SELECT v_d.x FROM v_d UNION SELECT customers.ssn FROM customers;"},
               {16808, "public", "v_d", 'v', {"x"}, " SELECT v_c.x\n   FROM v_c;"}},
              rules);
  CHECK(catalog.ByOid(16800, 1) == kUnknown);
  CHECK(catalog.ByOid(16800, 2) == RuleMask(0));  // its own name still decides
  CHECK(catalog.ByOid(16801, 1) == kUnknown);
  CHECK(catalog.ByOid(16802, 1) == kUnknown);
  CHECK(catalog.ByOid(16802, 2) == kUnknown);
  CHECK(catalog.ByOid(16803, 1) == kUnknown);
  CHECK(catalog.ByOid(16804, 1) == kUnknown);
  CHECK(catalog.ByOid(16805, 1) == kNone);
  CHECK(catalog.ByOid(16806, 1) == kNone);
  CHECK(catalog.ByOid(16807, 1) == RuleMask(0));
  CHECK(catalog.ByOid(16808, 1) == RuleMask(0));
}

TEST_CASE("masking catalog: malformed and oversized results are refused", "[masking_catalog]") {
  const masking::RuleSet rules = Compile(DemoRules());
  const auto code = [&](std::vector<CatalogRow> rows) {
    return MaskingCatalog::Build(rows, rules).status().code();
  };
  const CatalogRow header = {"1", "public", "t", "r", "0", std::nullopt, std::nullopt};
  const CatalogRow column = {"1", "public", "t", "r", "1", "ssn", std::nullopt};
  const auto with = [](CatalogRow row, size_t field, std::optional<std::string> value) {
    row[field] = std::move(value);
    return row;
  };
  constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

  CHECK(code({}) == absl::StatusCode::kOk);
  CHECK(code({header, column}) == absl::StatusCode::kOk);
  CHECK(code({header, CatalogRow(column.begin(), column.end() - 1)}) == kInvalid);
  CHECK(code({header, with(column, 0, "abc")}) == kInvalid);
  CHECK(code({header, with(column, 0, "-1")}) == kInvalid);
  CHECK(code({header, with(column, 0, "4294967296")}) == kInvalid);
  CHECK(code({header, with(column, 0, std::nullopt)}) == kInvalid);
  CHECK(code({header, with(column, 4, "x")}) == kInvalid);
  CHECK(code({header, with(column, 4, "40000")}) == kInvalid);
  CHECK(code({header, with(column, 4, "-1")}) == kInvalid);
  CHECK(code({header, with(column, 5, std::nullopt)}) == kInvalid);
  CHECK(code({header, with(column, 6, "SELECT 1")}) == kInvalid);
  CHECK(code({header, with(column, 2, "u")}) == kInvalid);   // names disagree
  CHECK(code({header, with(column, 3, "rv")}) == kInvalid);  // relkind
  CHECK(code({column}) == kInvalid);                         // no header row
  CHECK(code({header, header, column}) == kInvalid);
  CHECK(code({with(header, 5, "x"), column}) == kInvalid);
  CHECK(code({header, column, column}) == kInvalid);  // attnum twice

  const std::vector<CatalogRow> many(MaskingCatalog::kMaxRows + 1, column);
  CHECK(MaskingCatalog::Build(many, rules).status().code() == absl::StatusCode::kResourceExhausted);
}

TEST_CASE("masking catalog query: quoting and qualification", "[masking_catalog]") {
  CHECK(MaskingCatalogQuery({}).empty());
  v1::MaskingRule content_only;
  content_only.set_name("c");
  content_only.add_detectors(v1::DETECTOR_EMAIL);
  CHECK(MaskingCatalogQuery({content_only}).empty());

  // Schema `O'k\x%_`, any table, column `c?l*`: folded, '%', '_' and '\' escaped for LIKE,
  // then '\' and '\'' for the E'' literal; '?' and '*' become '%'; a part that is all '*' adds
  // no condition.
  const std::string q = MaskingCatalogQuery({Rule("odd", {"O'k\\x%_.*.c?l*"})});
  INFO(q);
  CHECK(q.find(R"(E'o''k\\\\x\\%\\_')") != std::string::npos);
  CHECK(q.find("E'c%l%'") != std::string::npos);
  CHECK(q.find("CAST(c.relname") == std::string::npos);
  CHECK(q.find("pg_catalog.lower(CAST(n.nspname AS pg_catalog.text) COLLATE pg_catalog.\"C\") "
               "OPERATOR(pg_catalog.~~) E'") != std::string::npos);
  CHECK(q.find("LIMIT 200001") != std::string::npos);
  // Every operator and function is qualified, and PostgreSQL's grammar accepts the text.
  for (const char* bare : {" = ", " > ", " IN ", " LIKE ", "(lower", " lower("}) {
    INFO(bare);
    CHECK(q.find(bare) == std::string::npos);
  }
  const sql::LineageResult parsed = sql::AnalyzeLineage(q);
  INFO(parsed.error);
  CHECK(parsed.parsed);

  // Non-ASCII bytes become '%' (whatever client_encoding); '*.*' lists every relation; bad
  // globs (RuleSet::Compile refuses them) add nothing.
  CHECK(MaskingCatalogQuery({Rule("u", {"*.\xc3\xa9t\xc3\xa9_x"})}).find("E'%t%\\\\_x'") !=
        std::string::npos);
  CHECK(MaskingCatalogQuery({Rule("all", {"*.*", "customers.ssn"})}).find("AND (TRUE)") !=
        std::string::npos);
  CHECK(MaskingCatalogQuery({Rule("bad", {"ssn", "a..b"})}).empty());
}

TEST_CASE("masking catalog: rows captured from PostgreSQL 15", "[masking_catalog]") {
  const masking::RuleSet rules = Compile(RealRules());
  absl::StatusOr<MaskingCatalog> built = MaskingCatalog::Build(kRealRows, rules);
  INFO(built.status().ToString());
  REQUIRE(built.ok());
  const MaskingCatalog& catalog = *built;
  CHECK(catalog.relations() == 17);
  const auto by_name = [&](const char* schema, const char* table, const char* column) {
    return catalog.ByName(schema, table, column);
  };

  CHECK(catalog.ByOid(16385, 3) == RuleMask(1));  // customers.email
  CHECK(catalog.ByOid(16385, 4) == RuleMask(2));
  CHECK(catalog.ByOid(16385, 5) == RuleMask(0));
  CHECK(catalog.ByOid(16385, 6) == kNone);
  CHECK(catalog.ByOid(16410, 2) == RuleMask(1));  // v_plain.email
  CHECK(catalog.ByOid(16414, 2) == RuleMask(0));  // v_rename.tax_id
  CHECK(catalog.ByOid(16418, 2) == RuleMask(1));  // v_concat.contact
  CHECK(catalog.ByOid(16422, 1) == kNone);
  CHECK(catalog.ByOid(16422, 2) == RuleMask(0));  // v_row.doc
  CHECK(catalog.ByOid(16426, 2) == RuleMask(0));  // v_of_v.t
  CHECK(catalog.ByOid(16430, 1) == RuleMask(1));  // v_union.x
  CHECK(catalog.ByOid(16438, 2) == RuleMask(2));  // mv_cards.card_number
  CHECK(catalog.ByOid(16445, 2) == RuleMask(0));  // other.customers.ssn
  CHECK(catalog.ByOid(16445, 3) == RuleMask(1));  // other.customers."Email"
  CHECK(catalog.ByOid(16450, 1) == RuleMask(0));  // other.v_other.ssn
  CHECK(catalog.ByOid(16455, 1) == kUnknown);     // v_func.x: leak()
  CHECK(catalog.ByOid(16455, 2) == kNone);
  CHECK(catalog.ByOid(16469, 2) == RuleMask(4));  // "O'k\x%_".t."CxL"
  CHECK(catalog.ByOid(16469, 3) == kNone);
  CHECK(catalog.ByOid(16480, 2) == RuleMask(3));  // other.notes."Note"
  CHECK(catalog.ByOid(16485, 1) == RuleMask(3));  // other.v_notes.body
  CHECK(catalog.ByOid(16498, 1) == RuleMask(0));  // v_vv.tt, a view of a view of a view
  CHECK(catalog.ByOid(16525, 2) == RuleMask(0));  // pg_temp_3.scratch.tax_id
  CHECK(catalog.ByOid(16530, 1) == RuleMask(0));  // pg_temp_3.tv.t

  CHECK(by_name("", "v_notes", "body") == RuleMask(3));
  CHECK(by_name("pg_temp", "tv", "t") == RuleMask(0));
  CHECK(by_name("", "v_concat", "id") == kNone);
  CHECK(catalog.AnyColumn("", "v_func") == kUnknown);
  REQUIRE(catalog.Columns("", "mv_cards") != nullptr);
  CHECK(*catalog.Columns("", "mv_cards") == std::vector<std::string>{"id", "card_number"});
}
