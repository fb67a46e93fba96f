// Which user-defined functions can change state, learnt from the database's own catalog: a
// SELECT that calls a function the database declares VOLATILE (pg_proc.provolatile = 'v') may
// write (`SELECT purge_orders()` deletes rows), so it is not a read. Built-ins are judged by name
// instead (common/sql/classify/function_effects.h): most volatile built-ins (random,
// clock_timestamp, ...) change nothing another statement can see.
//
// Two pure halves (DESIGN.md §4.3): FunctionCatalogQuery() is the one SELECT the session sends
// (at start-up, before the client's first statement, and again in band: catalog_loader.h);
// FunctionCatalog::Build() turns its rows into lookups and PossibleWrite() judges a statement.
//
// Rows of the query, every value in text format:
//   0 kind      'f' function, 'o' operator, 'r' relation
//   1 schema    its schema name (exact)
//   2 name      its name (exact)
//   3 volatile  't' when calling or reading it may run a VOLATILE function, else 'f'
// Listed: every function that is not a built-in (not in pg_catalog with an OID below
// FirstNormalObjectId), with its volatility; every such operator whose function is volatile;
// every view whose definition calls a volatile function that is not a built-in and every
// table whose row-security policy does (pg_depend of its pg_rewrite rule or pg_policy row),
// then every view over a listed relation, transitively.
//
// How a statement is judged (plain EXPLAIN and PREPARE run nothing and are not judged):
//  - a function written with schema pg_catalog is a built-in (function_effects.h decides);
//  - a function matching (by schema and name, or by name alone when unqualified: the search
//    path is the session's, so every schema counts) a listed VOLATILE one may write;
//  - an unqualified name that is a built-in or a listed non-volatile function does not;
//  - any other name is unknown (created after the catalog was loaded, or by this session's
//    own DDL before the reload, or not existing): it may write (fail closed);
//  - an operator written by name, or a relation read, that matches a listed volatile one may
//    write.
// While the catalog is stale (this session ran DDL since it was loaded) a listed non-volatile
// function is not trusted either: the DDL may have replaced it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "agent/enforcement/masking_catalog.h"
#include "common/sql/classify/classified_statement.h"

namespace warden::agent {

// The catalog query's text. Safe whatever the session state, like MaskingCatalogQuery (every
// object qualified with pg_catalog, operators written OPERATOR(pg_catalog.op), ASCII E''
// literals).
std::string FunctionCatalogQuery();

class FunctionCatalog {
 public:
  // More rows than this is an error (the caller fails closed).
  static constexpr size_t kMaxRows = MaskingCatalog::kMaxRows;

  // InvalidArgument for a malformed row, ResourceExhausted for more than kMaxRows rows.
  [[nodiscard]] static absl::StatusOr<FunctionCatalog> Build(const std::vector<CatalogRow>& rows);

  // Why `s` may change state through a user-defined function, operator or relation this
  // catalog knows of ("calls public.purge(), a VOLATILE function"), or "" when it cannot.
  // `stale`: the session ran DDL since the catalog was loaded.
  std::string PossibleWrite(const sql::ClassifiedStatement& s, bool stale) const;

  size_t size() const { return functions_.size() + operators_.size() + relations_.size(); }

 private:
  // By folded name: whether any listed object of that name is volatile, and the folded
  // schemas of the volatile ones and of the others.
  struct Entry {
    std::vector<std::string> volatile_schemas;
    std::vector<std::string> stable_schemas;
  };
  using Index = absl::flat_hash_map<std::string, Entry>;

  static absl::Status Add(Index* index, std::string_view schema, std::string_view name,
                          bool is_volatile);
  // The function call's verdict: "" when it cannot write.
  std::string JudgeFunction(const std::string& written, bool stale) const;
  static bool Matches(const Index& index, std::string_view written, bool want_volatile);

  Index functions_;
  Index operators_;  // volatile only
  Index relations_;  // volatile only
};

}  // namespace warden::agent
