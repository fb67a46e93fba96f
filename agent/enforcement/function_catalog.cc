#include "agent/enforcement/function_catalog.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/masking/column_glob.h"
#include "common/sql/classify/builtin_functions.h"

namespace warden::agent {
namespace {

// Not a built-in: outside pg_catalog, or created there after initdb (FirstNormalObjectId,
// https://www.postgresql.org/docs/15/system-catalog-initial-data.html#SYSTEM-CATALOG-OID-ASSIGNMENT).
// Dependencies on built-ins are mostly not recorded (they are pinned), which is why the views
// are found through functions of this kind only; a view calling a state-changing built-in is
// not found here (README, threat model).
constexpr char kUserFunctions[] =
    "userfn(oid, nsp, name, vol) AS (SELECT p.oid, n.nspname, p.proname,"
    " p.provolatile OPERATOR(pg_catalog.=) 'v'::pg_catalog.\"char\""
    " FROM pg_catalog.pg_proc p"
    " JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) p.pronamespace"
    " WHERE p.oid OPERATOR(pg_catalog.>=) 16384::pg_catalog.oid"
    " OR n.nspname OPERATOR(pg_catalog.<>) 'pg_catalog'::pg_catalog.name)";

// A pg_depend row of class `object_class` on a volatile user function.
std::string OnVolatileFunction(const char* object_class) {
  return absl::StrCat(" JOIN userfn f ON f.oid OPERATOR(pg_catalog.=) d.refobjid WHERE d.classid",
                      " OPERATOR(pg_catalog.=) '", object_class,
                      "'::pg_catalog.regclass AND d.refclassid OPERATOR(pg_catalog.=)",
                      " 'pg_catalog.pg_proc'::pg_catalog.regclass AND f.vol");
}

// "schema.name" -> (schema, name); "name" -> ("", name); longer names keep their last two parts.
std::pair<std::string_view, std::string_view> Split(std::string_view written) {
  const size_t dot = written.rfind('.');
  if (dot == std::string_view::npos) return {{}, written};
  std::string_view schema = written.substr(0, dot);
  if (const size_t d = schema.rfind('.'); d != std::string_view::npos) {
    schema.remove_prefix(d + 1);
  }
  return {schema, written.substr(dot + 1)};
}

bool SchemaMatches(std::string_view listed, std::string_view wanted) {
  return wanted.empty() || listed == wanted ||
         (wanted == "pg_temp" && listed.starts_with("pg_temp_"));
}

bool AnyMatches(const std::vector<std::string>& schemas, std::string_view wanted) {
  return std::any_of(schemas.begin(), schemas.end(),
                     [&](const std::string& s) { return SchemaMatches(s, wanted); });
}

}  // namespace

std::string FunctionCatalogQuery() {
  return absl::StrCat(
      "WITH RECURSIVE ", kUserFunctions,
      ", reach(oid) AS (SELECT r.ev_class FROM pg_catalog.pg_depend d"
      " JOIN pg_catalog.pg_rewrite r ON r.oid OPERATOR(pg_catalog.=) d.objid",
      OnVolatileFunction("pg_catalog.pg_rewrite"),
      " UNION SELECT pol.polrelid FROM pg_catalog.pg_depend d"
      " JOIN pg_catalog.pg_policy pol ON pol.oid OPERATOR(pg_catalog.=) d.objid",
      OnVolatileFunction("pg_catalog.pg_policy"),
      // Views over a listed relation: their rewrite rule depends on it.
      " UNION SELECT r.ev_class FROM reach"
      " JOIN pg_catalog.pg_depend d ON d.refobjid OPERATOR(pg_catalog.=) reach.oid"
      " JOIN pg_catalog.pg_rewrite r ON r.oid OPERATOR(pg_catalog.=) d.objid"
      " WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::pg_catalog.regclass"
      " AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass)"
      " SELECT 'f', nsp, name, CASE WHEN vol THEN 't' ELSE 'f' END FROM userfn"
      " UNION ALL SELECT 'o', n.nspname, o.oprname, 't' FROM pg_catalog.pg_operator o"
      " JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) o.oprnamespace"
      " JOIN userfn f ON f.oid OPERATOR(pg_catalog.=) o.oprcode WHERE f.vol"
      " UNION ALL SELECT 'r', n.nspname, c.relname, 't' FROM (SELECT DISTINCT oid FROM reach) x"
      " JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) x.oid"
      " JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace"
      " LIMIT ",
      FunctionCatalog::kMaxRows + 1);
}

absl::StatusOr<FunctionCatalog> FunctionCatalog::Build(const std::vector<CatalogRow>& rows) {
  if (rows.size() > kMaxRows) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the function catalog has more than ", kMaxRows, " entries"));
  }
  FunctionCatalog catalog;
  for (const CatalogRow& row : rows) {
    if (row.size() != 4 || !row[0] || !row[1] || !row[2] || !row[3] || row[0]->size() != 1 ||
        (*row[3] != "t" && *row[3] != "f")) {
      return absl::InvalidArgumentError("malformed row in the function catalog");
    }
    const bool is_volatile = *row[3] == "t";
    Index* index = nullptr;
    switch ((*row[0])[0]) {
      case 'f':
        index = &catalog.functions_;
        break;
      case 'o':
        index = &catalog.operators_;
        break;
      case 'r':
        index = &catalog.relations_;
        break;
      default:
        return absl::InvalidArgumentError("unknown kind of row in the function catalog");
    }
    if (auto st = Add(index, *row[1], *row[2], is_volatile); !st.ok()) return st;
  }
  return catalog;
}

absl::Status FunctionCatalog::Add(Index* index, std::string_view schema, std::string_view name,
                                  bool is_volatile) {
  if (name.empty()) return absl::InvalidArgumentError("empty name in the function catalog");
  Entry& e = (*index)[masking::FoldIdentifier(name)];
  (is_volatile ? e.volatile_schemas : e.stable_schemas).push_back(masking::FoldIdentifier(schema));
  return absl::OkStatus();
}

bool FunctionCatalog::Matches(const Index& index, std::string_view written, bool want_volatile) {
  // Every operator and relation a statement names is looked up here, and most databases list
  // none: no folded copy, hash and probe for an empty index.
  if (index.empty()) return false;
  const auto [schema, name] = Split(written);
  auto it = index.find(masking::FoldIdentifier(name));
  if (it == index.end()) return false;
  return AnyMatches(want_volatile ? it->second.volatile_schemas : it->second.stable_schemas,
                    schema);
}

std::string FunctionCatalog::JudgeFunction(const std::string& written, bool stale) const {
  const auto [schema, name] = Split(written);
  if (Matches(functions_, written, true)) {
    return absl::StrCat("it calls ", written,
                        "(), which the database declares VOLATILE: it may change data");
  }
  // A built-in by its own schema or by a name no user function shadows with a volatile one.
  if (schema == "pg_catalog" || (schema.empty() && sql::IsBuiltinFunction(name))) return "";
  if (!stale && Matches(functions_, written, false)) return "";
  return absl::StrCat("it calls ", written,
                      "(), which is not a built-in and was not in the database's catalog when "
                      "Warden last read it",
                      stale ? " (or this session has changed it since)" : "",
                      ": it may change data");
}

std::string FunctionCatalog::PossibleWrite(const sql::ClassifiedStatement& s, bool stale) const {
  // Plain EXPLAIN and PREPARE run nothing; EXECUTE and EXPLAIN ANALYZE carry what they run.
  if (s.command_tag == "PREPARE" ||
      (s.command_tag == "EXPLAIN" && s.commands.size() == 1 && s.commands[0] == "EXPLAIN")) {
    return "";
  }
  for (const std::string& f : s.functions) {
    if (std::string why = JudgeFunction(f, stale); !why.empty()) return why;
  }
  for (const std::string& op : s.operators) {
    if (Matches(operators_, op, true)) {
      return absl::StrCat("it uses operator ", op,
                          ", whose function the database declares VOLATILE: it may change data");
    }
  }
  for (const std::string& r : s.relations_read) {
    if (Matches(relations_, r, true)) {
      return absl::StrCat("it reads ", r,
                          ", whose definition or row-security policy calls a VOLATILE function: "
                          "it may change data");
    }
  }
  return "";
}

}  // namespace warden::agent
