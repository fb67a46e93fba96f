// Statement classification: SQL text in, ClassifiedBatch out. Pure and I/O-free (DESIGN.md §4.3);
// built on libpg_query, the real PostgreSQL 15 parser, so a rule is decided on the parse tree and
// cannot be walked around with comments, case or CTEs.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/sql/classify/classified_statement.h"
#include "common/sql/parse/parse_limits.h"

namespace pg_query {
class ParseResult;
}

namespace warden::sql {

// SQL-level prepared statements a session knows: name (as the parser folds it) -> what the body
// classifies as. Lets `EXECUTE name` be classified as its body instead of as opaque.
using PreparedStatements = std::unordered_map<std::string, ClassifiedStatement>;

// Classifies every statement in `sql` (simple Query text or an extended-protocol Parse text with
// $n parameters). `prepared`, when given, resolves EXECUTE of statements prepared in earlier
// messages; PREPAREs earlier in the same text are always resolved. Never throws; text the parser
// rejects (or that contains NUL) yields parsed = false. Texts over 4 KB are classified on a
// short-lived helper thread whose stack is sized for them (large_stack.h), so no text can
// exhaust the caller's stack.
ClassifiedBatch Classify(std::string_view sql, const PreparedStatements* prepared = nullptr);

// What one PREPARE or DEALLOCATE statement does to the session's prepared statements.
struct PreparedChange {
  size_t statement_index = 0;               // of the statement in its text
  std::string name;                         // empty with `all`
  bool all = false;                         // DEALLOCATE ALL
  std::optional<ClassifiedStatement> body;  // PREPARE's body; nullopt for DEALLOCATE
};

// The PREPARE and DEALLOCATE statements in `sql`, bodies classified against `prepared`. Apply
// each once the server confirms its statement (its CommandComplete), so the map mirrors the
// server session: a PREPARE the server rejects (42P05, the name exists) must not rebind it.
// A text that cannot be analysed yields one change with `all` and no body (forget everything).
std::vector<PreparedChange> PreparedChanges(std::string_view sql,
                                            const PreparedStatements& prepared);
void ApplyPreparedChange(const PreparedChange& change, PreparedStatements* prepared);
// Applies every change of `sql` at once, for callers that know the server accepted all of it.
void TrackPrepared(std::string_view sql, PreparedStatements* prepared);

// "read", "write", ... for logs and test data.
std::string_view ClassName(v1::StatementClass c);

namespace internal {
// The classification of a parsed text (statement_analysis.h builds it with the lineage from the
// same parse).
void ClassifyTree(const pg_query::ParseResult& tree, ClassifiedBatch* out);
}  // namespace internal

}  // namespace warden::sql
