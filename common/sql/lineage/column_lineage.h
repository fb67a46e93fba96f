// Column lineage of a statement's result, for masking that follows the data.
//
// RowDescription names the table column behind a plain column reference, but says nothing (table
// OID 0) about `upper(email)`, `email::text`, `row_to_json(c)`, `string_agg(email, ',')`, a CTE
// or subquery that renames the column, UNION branches or RETURNING lists. This analysis reads the
// parse tree (libpg_query, the real PostgreSQL 15 grammar) and says, per output column, which
// source columns may flow into it. It is pure and I/O-free (DESIGN.md §4.3): no catalog, so it
// over-approximates where only the catalog could tell, and says `unknown` where it cannot tell.
//
// What counts as flowing (fail closed; more than strictly needed is fine, less is a leak):
//  - every operand of an operator, function argument, cast, CASE condition and result,
//    COALESCE/GREATEST/ROW/ARRAY element, comparison (`email = 'x'` leaks a bit of email),
//    aggregate and window argument, and a WITHIN GROUP ordering (`mode() WITHIN GROUP (ORDER BY
//    email)` returns an email);
//  - the outputs of a scalar, ARRAY(...), IN/ANY/ALL subquery in an output expression;
//  - values written by the statement and read back in RETURNING (`UPDATE t SET note = email
//    RETURNING note`, `INSERT INTO t SELECT email ... RETURNING *`).
// What does not flow: WHERE, JOIN ... ON, GROUP BY, HAVING, ORDER BY, window PARTITION/ORDER,
// aggregate FILTER and ordering, LIMIT (they filter or order; timing and ordering side channels
// are out of scope), EXISTS (...), GROUPING(...), `count(...)` (a number of rows, not a value),
// and $n parameters (the client's own values).
// What is unknown: a function that is not a known built-in whose result depends only on its
// arguments (a user function may read any table; `query_to_xml` and `lo_get` run or read
// anything), a column reference that resolves to nothing in scope, and analysis that ran out of
// its work budget (then the whole statement is `opaque`).
//
// Without a catalog, names resolve to every FROM item that may provide them: an unqualified
// `email` with two base tables in scope is reported for both, and one in a subquery also for the
// outer query's tables (a correlated reference), unless a subquery, CTE or function in scope
// lists the name (PostgreSQL would reject it as ambiguous if a table had it too). Views are
// relations like tables: to follow a view's column to its base columns, analyze the view's
// definition with this same function.
//
// How the masker uses it: mask result column i by the union of what RowDescription names (table
// OID and attribute number, for a plain column reference) and what its entry lists (AlignOutputs
// finds the entry). A value computed in a way RowDescription cannot describe then still carries
// its sources, and a value RowDescription names but that the statement wrote itself (UPDATE ...
// SET note = email RETURNING note) carries both.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace pg_query {
class ParseResult;
}

namespace warden::sql {

// A base relation as the query wrote it, lower case; schema empty when the query wrote none
// (the masker matches it against `table.column` and `*.column` rules, and against
// `schema.table.column` ones through its own search_path knowledge).
struct SourceRelation {
  std::string schema;
  std::string table;

  friend bool operator==(const SourceRelation& a, const SourceRelation& b) {
    return a.schema == b.schema && a.table == b.table;
  }
  friend bool operator<(const SourceRelation& a, const SourceRelation& b) {
    return a.schema != b.schema ? a.schema < b.schema : a.table < b.table;
  }
};

struct SourceColumn {
  std::string schema;
  std::string table;
  std::string column;

  friend bool operator==(const SourceColumn& a, const SourceColumn& b) {
    return a.schema == b.schema && a.table == b.table && a.column == b.column;
  }
  friend bool operator<(const SourceColumn& a, const SourceColumn& b) {
    if (a.schema != b.schema) return a.schema < b.schema;
    return a.table != b.table ? a.table < b.table : a.column < b.column;
  }
};

// What may flow into one output column, or into a run of them (`star`). Lists sorted, unique.
struct OutputLineage {
  // The column's name as PostgreSQL labels it where that is easy to tell (an alias, the column
  // or function name, "?column?"), exact case; "*" for a star entry.
  std::string name;
  // A `*` (or `t.*`) expansion whose width this analysis cannot know: the entry stands for zero
  // or more consecutive result columns. Each of them is one column of one relation of
  // `star_over`: where RowDescription gives its table OID, that names it exactly; where it does
  // not (a set operation, a FULL JOIN USING column), it may be any column of `star_over`. The
  // other fields apply to every column of the run.
  bool star = false;
  std::vector<SourceRelation> star_over;
  // Source columns that may flow in. An unqualified name with several candidate relations in
  // scope is listed once per candidate (`*.column` rules still fire).
  std::vector<SourceColumn> columns;
  // Relations whose entire row may flow in (`row_to_json(c)`, `SELECT c FROM customers c`,
  // `to_json(t.*)`): treat as every column of the relation (the masker expands it from its
  // catalog).
  std::vector<SourceRelation> whole_rows;
  // The analysis cannot tell what flows in: mask the whole column or deny, as policy says.
  bool unknown = false;
};

struct StatementLineage {
  // The statement itself may send rows: DataRow (SELECT, VALUES, TABLE, ... RETURNING, FETCH,
  // EXECUTE, EXPLAIN, SHOW, CALL) or CopyData (COPY ... TO STDOUT). When rows arrive for a
  // statement marked false, treat every column as unknown.
  bool returns_rows = false;
  // Rows of unknown origin and width (CALL's OUT parameters, or the analysis ran out of budget
  // for the rows this statement returns or, for DECLARE and PREPARE, describes): treat every
  // column as unknown.
  bool opaque = false;
  // DECLARE: the cursor it declares (`outputs` describe the cursor's rows; the statement returns
  // none). FETCH: the cursor it reads (`outputs` empty: use what DECLARE said; MOVE returns
  // nothing and is not marked).
  std::string cursor;
  // COPY ... TO STDOUT: how its rows are written, so that the masker can split them into
  // columns. kText and kCsv are the defaults of their format (tab or comma delimiter, \N or
  // empty NULL, '"' quote and escape); anything else (binary, a custom delimiter, quote, escape
  // or NULL string, FORCE_QUOTE) is kOther. `copy_header`: CSV with HEADER (first row: names).
  enum class CopyFormat : unsigned char { kNone, kText, kCsv, kOther };
  CopyFormat copy_format = CopyFormat::kNone;
  bool copy_header = false;
  // PREPARE: the statement it prepares (`outputs` describe its rows; PREPARE returns none).
  // EXECUTE: the prepared statement it runs (`outputs` empty: use what PREPARE said).
  std::string prepared;
  // Per output column in result order; star entries stand for runs (see OutputLineage).
  std::vector<OutputLineage> outputs;
};

struct LineageResult {
  // False when the parser rejected the text (or it is over kMaxStatementBytes, parse_limits.h, or
  // has a NUL):
  // `error` says why and `statements` is empty.
  bool parsed = false;
  std::string error;
  // One per statement of the text, in order, including those that return no rows.
  std::vector<StatementLineage> statements;
};

// Analyzes every statement of `sql` (a simple Query text or an extended-protocol Parse text
// with $n parameters). Never throws. Texts over 4 KB are analyzed on a helper thread with a
// stack sized for them (large_stack.h), so no text can exhaust the caller's stack; the work one
// text costs is bounded by a budget proportional to its length.
LineageResult AnalyzeLineage(std::string_view sql);

// Maps result column i (of `result_columns`, from RowDescription) to the index of the output
// entry that describes it. Exact when `outputs` hold at most one star entry (adjacent runs are
// already merged into one). Returns an empty vector when it cannot align (several star runs
// with columns between them, or counts that do not fit, or an opaque statement): fall back to
// MergedLineage() for every result column that RowDescription does not name.
std::vector<size_t> AlignOutputs(const StatementLineage& statement, size_t result_columns);

// Everything that may flow into any column of the statement's result, as one column (star runs'
// relations become whole rows); unknown for an opaque statement and for rows this lineage does
// not describe (FETCH, EXECUTE: use the DECLARE's or PREPARE's).
OutputLineage MergedLineage(const StatementLineage& statement);

// "name <- customers.email public.orders.note row(customers) *(orders) ?" (whole rows as
// row(...), star runs as *(...), unknown as ?): for logs and tests. Names no values.
std::string DescribeLineage(const OutputLineage& output);
// The outputs' descriptions joined by " | ".
std::string DescribeLineage(const StatementLineage& statement);

namespace internal {
// The lineage of a parsed text of `text_bytes` (statement_analysis.h builds it with the
// classification from the same parse).
LineageResult LineageOfTree(const pg_query::ParseResult& tree, size_t text_bytes);
// Stack for analysing a text of `text_bytes` off the caller's stack (large_stack.h): enough for
// the parser and for both walks.
size_t HelperStackBytes(size_t text_bytes);
}  // namespace internal

}  // namespace warden::sql
