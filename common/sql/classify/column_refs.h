// Which columns a statement reads and writes, from the names its parse tree uses. Without a
// catalog a name is resolved only as far as the statement itself tells: a qualifier through the
// aliases and relations it names, an unqualified column to the one relation it touches. What
// cannot be told stays unqualified (a column of one of its relations); a qualifier that names
// no relation (a CTE, a subquery, a function in FROM) is dropped, as its columns come from
// references that are listed where they are read.
#pragma once

#include <cstddef>

#include "common/sql/classify/tree_walker.h"

namespace warden::sql {

// Columns listed per statement and side, at most.
inline constexpr size_t kMaxColumns = 1000;

// Moves facts->mentioned and facts->assigned into facts->columns_read and columns_written as
// "relation.column" ("relation.*": whole rows), or "column" when the relation cannot be told.
// Reads facts->reads and writes (the relations) and facts->aliases.
void ResolveColumns(TreeFacts* facts);

}  // namespace warden::sql
