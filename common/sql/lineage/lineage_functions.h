// What the lineage analysis (column_lineage.h) knows about functions without a catalog: which
// built-ins compute their result from their arguments alone, and how many columns a function
// yields in FROM.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pg_query/pg_query.pb.h"

namespace warden::sql::lineage {

enum class FunctionFlow {
  kArguments,  // a built-in whose result derives from its arguments only: they flow
  kNone,       // count(...): a number of rows, not a value
  kUnknown,    // anything else (user functions, dynamic SQL, large objects, settings): the
               // arguments flow and the result is unknown
};

// By name: unqualified or pg_catalog-qualified names of the allowlist below are built-ins.
// (A role that can create `public.upper(varchar)`, which PostgreSQL would prefer to
// pg_catalog.upper(text) for a varchar argument, can already run code as the statement's
// user; the allowlist does not defend against that.)
FunctionFlow ClassifyFunction(const pg_query::FuncCall& call);

// The same by the name the classifier reports (classified_statement.h: lower case,
// "schema.name" where the statement wrote a schema).
FunctionFlow ClassifyFunctionName(std::string_view name);

// The columns a function yields as a FROM item when no column definition list is given: their
// default names (the function's name for a one-column result), or false when the analysis
// cannot know (a function returning a row type, or one it does not know).
bool FromColumnNames(const pg_query::FuncCall& call, std::vector<std::string>* names);

}  // namespace warden::sql::lineage
