// Whether a MERGE can change every row of its target, as DELETE or UPDATE without WHERE can:
// `MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE` empties t. PostgreSQL matches each
// target row against the source by the ON condition
// (https://www.postgresql.org/docs/15/sql-merge.html), so the rows a WHEN MATCHED UPDATE or
// DELETE can reach are bounded only where ON ties a column of the target to something that is
// not the target itself (`ON t.id = s.id`). Anything the check cannot read that way counts as
// unbounded: constants, conditions on the source alone, `t.a = t.a`, unqualified columns, OR
// with an unbounded branch.
#pragma once

#include "pg_query/pg_query.pb.h"

namespace warden::sql {

bool MergeMayTouchEveryRow(const pg_query::MergeStmt& stmt);

}  // namespace warden::sql
