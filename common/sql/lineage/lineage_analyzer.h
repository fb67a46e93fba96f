// The lineage analysis (column_lineage.h) over one statement's parse tree: queries, FROM items
// and DML RETURNING lists (lineage_query.cc, lineage_from.cc), and the flow of values through
// expressions (lineage_expr.cc). Name resolution is lineage_scope.h's.
#pragma once

#include <google/protobuf/repeated_ptr_field.h>

#include <string>
#include <utility>
#include <vector>

#include "common/sql/lineage/lineage_scope.h"
#include "common/sql/lineage/lineage_set.h"
#include "pg_query/pg_query.pb.h"

namespace warden::sql::lineage {

// A base table or view as a FROM item (also a DML target): what `rv` names, with its alias.
Entry BaseRelationEntry(const pg_query::RangeVar& rv);

class Analyzer {
 public:
  // `budget` bounds the work; once spent, results are incomplete and the caller must treat
  // the statement as opaque.
  explicit Analyzer(Budget* budget) : budget_(budget), resolver_(budget) {}

  // The output columns of a query that returns rows: SELECT, VALUES, TABLE, and INSERT,
  // UPDATE, DELETE through RETURNING (none without); `parent` is the enclosing level, if any.
  Outputs Query(const pg_query::Node& query, const Scope* parent);

  // Adds to `into` what flows into the value of expression `node` evaluated in `scope`.
  void Expr(const pg_query::Node& node, const Scope& scope, OutputLineage* into);

  // The name PostgreSQL gives an output column computed by `node` without an alias (its
  // FigureColname rules), or "?column?".
  static std::string FigureName(const pg_query::Node& node);

 private:
  using Nodes = google::protobuf::RepeatedPtrField<pg_query::Node>;

  // lineage_query.cc
  Outputs Select(const pg_query::SelectStmt& s, const Scope* parent);
  Outputs Values(const pg_query::SelectStmt& s, const Scope& scope);
  Outputs Targets(const Nodes& targets, const Scope& scope);
  void With(const pg_query::WithClause& with, Scope* scope);
  // `seed`: a recursive CTE's first pass (its non-recursive term only).
  Outputs CteOutputs(const pg_query::CommonTableExpr& cte, const Scope& scope, bool seed);
  Outputs Insert(const pg_query::InsertStmt& s, const Scope* parent);
  Outputs Update(const pg_query::UpdateStmt& s, const Scope* parent);
  Outputs Delete(const pg_query::DeleteStmt& s, const Scope* parent);
  // ON CONFLICT DO UPDATE SET: assignments to `scope`'s target, first entry.
  void OnConflict(const pg_query::OnConflictClause& c, const OutputLineage& inserted, Scope* scope);
  // SET lists (UPDATE, ON CONFLICT): what each assignment writes, by column.
  std::vector<std::pair<std::string, OutputLineage>> Assign(const Nodes& set, const Scope& scope);

  // lineage_from.cc: appends one entry per FROM item to `level`.
  void From(const Nodes& items, Scope* level);
  void FromItem(const pg_query::Node& item, Scope* level);
  Entry RelationEntry(const pg_query::RangeVar& rv, const Scope& scope);
  Entry SubselectEntry(const pg_query::RangeSubselect& rs, Scope* level);
  Entry FunctionEntry(const pg_query::RangeFunction& rf, Scope* level);
  Entry TableFuncEntry(const pg_query::RangeTableFunc& tf, Scope* level);
  // Replaces the two entries a join's sides left at the end of `level` by the join's.
  void JoinEntry(const pg_query::JoinExpr& j, Scope* level);

  // lineage_expr.cc
  void FuncCallFlow(const pg_query::FuncCall& call, const Scope& scope, OutputLineage* into);
  void SubLinkFlow(const pg_query::SubLink& link, const Scope& scope, OutputLineage* into);
  // Node types named nowhere else: every expression inside flows.
  void ChildrenFlow(const google::protobuf::Message& msg, const Scope& scope, OutputLineage* into);
  // Counts a level of recursion and a unit of work; false when the analysis must stop.
  bool Enter();

  Budget* budget_;
  Resolver resolver_;
  int depth_ = 0;

  friend class DepthGuard;
};

// Leaves a level of recursion on scope exit (see Analyzer::Enter).
class DepthGuard {
 public:
  explicit DepthGuard(Analyzer* a) : a_(a) {}
  ~DepthGuard() { --a_->depth_; }
  DepthGuard(const DepthGuard&) = delete;
  DepthGuard& operator=(const DepthGuard&) = delete;

 private:
  Analyzer* a_;
};

}  // namespace warden::sql::lineage
