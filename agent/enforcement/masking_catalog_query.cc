// MaskingCatalogQuery(): the catalog query's text (row shape and what it lists:
// masking_catalog.h).
//
// Everything is written so that the client's session state cannot change what it means:
//  - every relation, function, type and collation is schema-qualified with pg_catalog, and every
//    operator is written OPERATOR(pg_catalog.op) (https://www.postgresql.org/docs/15/
//    sql-expressions.html#SQL-EXPRESSIONS-OPERATOR-CALLS): with `SET search_path = evil,
//    pg_catalog` an unqualified `=` or `lower` could be evil's. `IN (...)` is avoided (it looks
//    up `=` on the search path); UNION, ORDER BY and the recursive CTE's duplicate removal use
//    the types' default operator classes, which the search path does not reach.
//  - literals are E'...' strings (https://www.postgresql.org/docs/15/
//    sql-syntax-lexical.html#SQL-SYNTAX-STRINGS-ESCAPE), read the same whether
//    standard_conforming_strings is on or off, holding only ASCII (client_encoding cannot
//    misread them), quotes doubled rather than backslashed (backslash_quote cannot refuse them).
//  - names are folded with lower(... COLLATE "C"): ASCII only, like masking::FoldIdentifier,
//    whatever the database's locale (lower('I') is 'ı' in a Turkish one).
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "agent/enforcement/masking_catalog.h"
#include "common/masking/column_glob.h"

namespace warden::agent {
namespace {

// One glob part as a LIKE pattern (escape character '\', the default) that matches at least
// every name the part matches (ColumnGlob, over names folded like FoldIdentifier):
//  - '*' -> '%'; a literal '%', '_' or '\' is escaped.
//  - '?' -> '%', not '_': GlobMatch's '?' is one byte, LIKE's '_' one character, so '_' would
//    miss a name where '??' spans one two-byte character.
//  - each run of non-ASCII bytes -> '%', so the literal is ASCII whatever client_encoding.
// Folded here (ASCII), as the name side is folded by lower(... COLLATE "C").
std::string LikePattern(std::string_view part) {
  std::string out;
  const auto wildcard = [&out] {
    if (out.empty() || out.back() != '%' || (out.size() >= 2 && out[out.size() - 2] == '\\')) {
      out.push_back('%');
    }
  };
  for (const char c : masking::FoldIdentifier(part)) {
    if (c == '*' || c == '?' || (static_cast<unsigned char>(c) & 0x80) != 0) {
      wildcard();
    } else {
      if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
  }
  return out;
}

// `text` as an E'...' literal: backslash and quote escaped (text is ASCII).
std::string EscapeLiteral(std::string_view text) {
  std::string out = "E'";
  for (const char c : text) {
    if (c == '\\' || c == '\'') out.push_back(c);  // doubled: \\ in an E'' string, '' anywhere
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

// "<name> LIKE <pattern>" with both sides folded; empty when the pattern matches everything.
std::string NameLike(const char* column, std::string_view part) {
  const std::string pattern = LikePattern(part);
  if (pattern == "%") return "";
  return absl::StrCat("pg_catalog.lower(CAST(", column,
                      " AS pg_catalog.text) COLLATE pg_catalog.\"C\") OPERATOR(pg_catalog.~~) ",
                      EscapeLiteral(pattern));
}

// The prefilter for one column glob ("table.column" or "schema.table.column"), or nullopt for
// a pattern ColumnGlob rejects (RuleSet::Compile rejects it too). "TRUE" when it matches every
// column.
std::optional<std::string> GlobCondition(const std::string& glob) {
  if (!masking::ColumnGlob::Parse(glob).ok()) return std::nullopt;
  const std::vector<std::string> parts = absl::StrSplit(glob, '.');
  const size_t n = parts.size();
  std::vector<std::string> terms;
  for (std::string term : {NameLike("a.attname", parts[n - 1]), NameLike("c.relname", parts[n - 2]),
                           n == 3 ? NameLike("n.nspname", parts[0]) : std::string()}) {
    if (!term.empty()) terms.push_back(std::move(term));
  }
  if (terms.empty()) return "TRUE";
  return absl::StrCat("(", absl::StrJoin(terms, " AND "), ")");
}

constexpr char kUserRelations[] =
    "c.relkind OPERATOR(pg_catalog.=) ANY (ARRAY['r','p','v','m','f']::pg_catalog.\"char\"[])"
    " AND NOT (n.nspname OPERATOR(pg_catalog.=) ANY"
    " (ARRAY['pg_catalog','information_schema','pg_toast']::pg_catalog.name[]))";
constexpr char kLiveColumn[] = "a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped";
// A view or materialized view outside the system schemas (information_schema's views call its
// own functions, which are not pinned).
constexpr char kIsUserView[] =
    "v.relkind OPERATOR(pg_catalog.=) ANY (ARRAY['v','m']::pg_catalog.\"char\"[])"
    " AND NOT (vn.nspname OPERATOR(pg_catalog.=) ANY"
    " (ARRAY['pg_catalog','information_schema','pg_toast']::pg_catalog.name[]))";
// pg_depend rows of a view's rewrite rule (https://www.postgresql.org/docs/15/
// catalog-pg-depend.html): objid is the pg_rewrite row, its ev_class the view.
constexpr char kRuleDependency[] =
    " JOIN pg_catalog.pg_rewrite r ON r.oid OPERATOR(pg_catalog.=) d.objid"
    " JOIN pg_catalog.pg_class v ON v.oid OPERATOR(pg_catalog.=) r.ev_class"
    " JOIN pg_catalog.pg_namespace vn ON vn.oid OPERATOR(pg_catalog.=) v.relnamespace"
    " WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::pg_catalog.regclass";

}  // namespace

std::string MaskingCatalogQuery(const std::vector<v1::MaskingRule>& rules) {
  std::set<std::string> conditions;  // distinct, in a stable order
  for (const v1::MaskingRule& rule : rules) {
    for (const std::string& glob : rule.columns()) {
      if (std::optional<std::string> c = GlobCondition(glob)) conditions.insert(*std::move(c));
    }
  }
  if (conditions.empty()) return "";
  const std::string globs = conditions.count("TRUE") ? "TRUE" : absl::StrJoin(conditions, " OR ");
  return absl::StrCat(
      // Relations with a column some glob may match.
      "WITH RECURSIVE seed(oid) AS (SELECT c.oid FROM pg_catalog.pg_class c"
      " JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace"
      " JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) c.oid WHERE ",
      kUserRelations, " AND ", kLiveColumn, " AND (", globs,
      ")"
      // Views calling a function that is not built in (dependencies on pinned objects are not
      // recorded): such a function may read anything.
      " UNION SELECT v.oid FROM pg_catalog.pg_depend d",
      kRuleDependency,
      " AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass AND ",
      kIsUserView,
      "),"
      // Views over listed relations, transitively; UNION ends cycles.
      " listed(oid) AS (SELECT oid FROM seed UNION SELECT v.oid FROM listed"
      " JOIN pg_catalog.pg_depend d ON d.refobjid OPERATOR(pg_catalog.=) listed.oid",
      kRuleDependency,
      " AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass AND ",
      kIsUserView,
      ")"
      // One header row per relation, then one row per live column.
      " SELECT c.oid, n.nspname, c.relname, c.relkind, 0, NULL::pg_catalog.name,"
      " CASE WHEN c.relkind OPERATOR(pg_catalog.=) ANY (ARRAY['v','m']::pg_catalog.\"char\"[])"
      " THEN pg_catalog.pg_get_viewdef(c.oid) END"
      " FROM listed JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) listed.oid"
      " JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace"
      " UNION ALL SELECT c.oid, n.nspname, c.relname, c.relkind, a.attnum, a.attname,"
      " NULL::pg_catalog.text"
      " FROM listed JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) listed.oid"
      " JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace"
      " JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) c.oid WHERE ",
      kLiveColumn, " ORDER BY 1, 5 LIMIT ", MaskingCatalog::kMaxRows + 1);
}

}  // namespace warden::agent
