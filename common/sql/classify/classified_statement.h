// What the classifier (common/sql) says about a statement, and what policy evaluation
// (common/policy) decides on. Plain values: the classifier produces them, the evaluator reads
// them, and both are tested without any I/O.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "warden/v1/policy.pb.h"

namespace warden::sql {

// A run-time setting the statement changes: SET, RESET, SET LOCAL, set_config() anywhere in the
// statement, DISCARD ALL, and ALTER ROLE / DATABASE / SYSTEM ... SET (stored for later sessions).
struct SettingChange {
  enum class Scope {
    kSession,   // this session (SET, SET LOCAL, set_config, RESET, DISCARD ALL)
    kStored,    // later sessions (ALTER ROLE/DATABASE/SYSTEM ... SET/RESET)
    kFunction,  // only while a function runs (CREATE/ALTER FUNCTION ... SET)
  };
  enum class Value {
    kLiteral,   // a string or keyword written in the statement: `value_text`
    kDefault,   // RESET, SET ... TO DEFAULT, DISCARD ALL: the session's startup value
    kConstant,  // another constant SET takes (a number, a list, SET TRANSACTION's modes); not
                // kept, as the classification cache folds integers
    kComputed,  // an expression: set_config(name, expr)
  };
  // Lower case; "*" for RESET ALL and DISCARD ALL; empty when the name is not a constant
  // (set_config(expr, ...)).
  std::string name;
  Value value = Value::kComputed;
  std::string value_text;  // for kLiteral, as written (case kept)
  Scope scope = Scope::kSession;

  bool operator==(const SettingChange&) const = default;
};

struct ClassifiedStatement {
  // The command tag as PostgreSQL reports it for this statement: "SELECT", "INSERT",
  // "DROP TABLE", "CREATE INDEX", "COPY", "DO", "EXPLAIN", ...
  std::string command_tag;
  // Every command the statement performs, sorted and unique, so that a policy rule on DELETE
  // also sees the DELETEs PostgreSQL does not report in the tag:
  //  - command_tag itself;
  //  - for a statement that runs or holds another one (EXPLAIN ANALYZE, PREPARE, EXECUTE,
  //    DECLARE CURSOR), that statement's commands; EXECUTE of a known prepared statement also
  //    adds "EXECUTE", as its tag is the prepared statement's;
  //  - the data changes nested anywhere in it: INSERT/UPDATE/DELETE/MERGE in CTEs (`WITH d AS
  //    (DELETE ...) SELECT ...`, tag SELECT), COPY (query), CREATE TABLE AS, CREATE RULE
  //    actions and SQL-standard function bodies; MERGE's WHEN actions and INSERT ... ON
  //    CONFLICT DO UPDATE as INSERT/UPDATE/DELETE; SELECT ... INTO as "SELECT INTO".
  // Plain EXPLAIN runs nothing: just "EXPLAIN".
  std::vector<std::string> commands;
  v1::StatementClass statement_class = v1::STATEMENT_CLASS_UNKNOWN;
  // Relations, lower case, "schema.name" where the statement wrote a schema, else "name".
  std::vector<std::string> relations_read;
  std::vector<std::string> relations_written;
  // Columns, lower case, "relation.column" (relation as above) where the statement tells which
  // relation (a qualifier, an alias, or the one relation it touches), else "column"; "relation.*"
  // for whole rows. Read: every reference (output, WHERE, JOIN, RETURNING, `t.*`); written: the
  // columns INSERT, UPDATE and MERGE set ("t.*" when INSERT names none) and DELETE's whole rows.
  // Without a catalog: an output alias in ORDER BY is listed like a column.
  std::vector<std::string> columns_read;
  std::vector<std::string> columns_written;
  // Functions called, lower case, "schema.name" where written, else "name".
  std::vector<std::string> functions;
  // Operators written by name in an expression (`a ### b`, `OPERATOR(s.###)`), "schema.op"
  // where written, else "op". Not the ones PostgreSQL picks implicitly (ORDER BY, IN, CASE).
  std::vector<std::string> operators;
  // A DELETE or UPDATE (also inside a CTE) without a WHERE clause, TRUNCATE, or a MERGE whose
  // UPDATE or DELETE can reach every row of its target (merge_bounds.h).
  bool without_where = false;
  // Code the classifier cannot see into: DO blocks, CREATE FUNCTION bodies, EXECUTE of a
  // prepared statement whose text is unknown, COPY ... PROGRAM.
  bool opaque = false;
  // Settings the statement changes, in the order written.
  std::vector<SettingChange> settings;
};

struct ClassifiedBatch {
  // False when the parser rejected the text; statements is then empty and parse_error says
  // why (position included).
  bool parsed = false;
  std::string parse_error;
  std::vector<ClassifiedStatement> statements;
  // pg_query's fingerprint of the whole text (same for queries differing only in literals).
  // From ClassifierCache, texts that share a cache key share the fingerprint of the first one
  // classified (they differ at most in integers such as FETCH's count).
  uint64_t fingerprint = 0;
};

}  // namespace warden::sql
