// What the classifier (common/sql) says about a statement, and what policy evaluation
// (common/policy) decides on. Plain values: the classifier produces them, the evaluator reads
// them, and both are tested without any I/O.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "warden/v1/policy.pb.h"

namespace warden::sql {

struct ClassifiedStatement {
  // The command tag as PostgreSQL reports it for this statement: "SELECT", "INSERT",
  // "DROP TABLE", "CREATE INDEX", "COPY", "DO", "EXPLAIN", ...
  std::string command_tag;
  v1::StatementClass statement_class = v1::STATEMENT_CLASS_UNKNOWN;
  // Relations, lower case, "schema.name" where the statement wrote a schema, else "name".
  std::vector<std::string> relations_read;
  std::vector<std::string> relations_written;
  // Functions called, lower case, "schema.name" where written, else "name".
  std::vector<std::string> functions;
  // A DELETE or UPDATE (also inside a CTE) without a WHERE clause.
  bool without_where = false;
  // Code the classifier cannot see into: DO blocks, CREATE FUNCTION bodies, EXECUTE of a
  // prepared statement whose text is unknown, COPY ... PROGRAM.
  bool opaque = false;
};

struct ClassifiedBatch {
  // False when the parser rejected the text; statements is then empty and parse_error says
  // why (position included).
  bool parsed = false;
  std::string parse_error;
  std::vector<ClassifiedStatement> statements;
  // pg_query's fingerprint of the whole text (same for queries differing only in literals).
  uint64_t fingerprint = 0;
};

}  // namespace warden::sql
