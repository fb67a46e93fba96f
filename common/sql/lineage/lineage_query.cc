// Queries and RETURNING lists: what each output column of a SELECT, VALUES, set operation, CTE
// or data-modifying statement carries.
#include <string>
#include <utility>
#include <vector>

#include "common/sql/lineage/lineage_analyzer.h"

namespace warden::sql::lineage {
namespace {

// Passes over a WITH RECURSIVE list before its lineage must have settled (each pass can only
// add what one more step of recursion reaches; real queries settle in two or three).
constexpr int kMaxRecursivePasses = 8;

std::vector<std::string> StringList(const google::protobuf::RepeatedPtrField<pg_query::Node>& l) {
  std::vector<std::string> out;
  for (const pg_query::Node& n : l) {
    if (n.has_string()) out.push_back(n.string().sval());
  }
  return out;
}

bool IsSetOperation(const pg_query::SelectStmt& s) {
  return s.op() == pg_query::SETOP_UNION || s.op() == pg_query::SETOP_INTERSECT ||
         s.op() == pg_query::SETOP_EXCEPT;
}

// Columns a CTE's SEARCH and CYCLE clauses add
// (https://www.postgresql.org/docs/15/queries-with.html#QUERIES-WITH-SEARCH): the ordering and
// path columns hold values of the listed columns, and the cycle mark is computed from them; all
// get the flow of the whole row, a safe over-approximation.
void AddSearchColumns(const pg_query::CommonTableExpr& cte, Outputs* outputs) {
  std::vector<std::string> names;
  if (cte.has_search_clause()) names.push_back(cte.search_clause().search_seq_column());
  if (cte.has_cycle_clause()) {
    names.push_back(cte.cycle_clause().cycle_mark_column());
    names.push_back(cte.cycle_clause().cycle_path_column());
  }
  if (names.empty()) return;
  const OutputLineage all = FlowOf(*outputs);
  for (std::string& name : names) {
    OutputLineage o = all;
    o.name = std::move(name);
    outputs->push_back(std::move(o));
  }
}

}  // namespace

Outputs Analyzer::Query(const pg_query::Node& query, const Scope* parent) {
  switch (query.node_case()) {
    case pg_query::Node::kSelectStmt:
      return Select(query.select_stmt(), parent);
    case pg_query::Node::kInsertStmt:
      return Insert(query.insert_stmt(), parent);
    case pg_query::Node::kUpdateStmt:
      return Update(query.update_stmt(), parent);
    case pg_query::Node::kDeleteStmt:
      return Delete(query.delete_stmt(), parent);
    default:
      return {};  // MERGE has no RETURNING before PostgreSQL 17; the rest return no rows
  }
}

Outputs Analyzer::Select(const pg_query::SelectStmt& s, const Scope* parent) {
  const bool ok = Enter();
  DepthGuard guard(this);
  if (!ok) return {};
  Scope scope(parent);
  if (s.has_with_clause()) With(s.with_clause(), &scope);
  if (IsSetOperation(s)) {
    // Column i of UNION / INTERSECT / EXCEPT is column i of either branch (EXCEPT's right
    // branch only filters, but counting it is safe).
    Outputs left = Select(s.larg(), &scope);
    const Outputs right = Select(s.rarg(), &scope);
    budget_->Spend(Weight(left) + Weight(right));
    CombinePositional(right, &left);
    return left;
  }
  if (s.values_lists_size() > 0) return Values(s, scope);
  From(s.from_clause(), &scope);
  return Targets(s.target_list(), scope);
}

Outputs Analyzer::Values(const pg_query::SelectStmt& s, const Scope& scope) {
  Outputs out;
  bool first = true;
  for (const pg_query::Node& row : s.values_lists()) {
    Outputs columns;
    for (const pg_query::Node& item : row.list().items()) {
      OutputLineage o;
      o.name = "column" + std::to_string(columns.size() + 1);  // PostgreSQL's names for VALUES
      Expr(item, scope, &o);
      budget_->Spend(Normalize(&o));
      columns.push_back(std::move(o));
    }
    if (first) {
      out = std::move(columns);
      first = false;
    } else {
      budget_->Spend(Weight(columns));
      CombinePositional(columns, &out);
    }
  }
  return out;
}

Outputs Analyzer::Targets(const Nodes& targets, const Scope& scope) {
  Outputs out;
  for (const pg_query::Node& n : targets) {
    if (!n.has_res_target()) continue;
    const pg_query::ResTarget& rt = n.res_target();
    const pg_query::Node& val = rt.val();
    if (val.has_column_ref() && !val.column_ref().fields().empty() &&
        val.column_ref().fields().rbegin()->has_a_star()) {
      Outputs expanded = resolver_.ExpandStar(val.column_ref(), scope);
      out.insert(out.end(), std::make_move_iterator(expanded.begin()),
                 std::make_move_iterator(expanded.end()));
      continue;
    }
    OutputLineage o;
    if (val.has_a_indirection() && !val.a_indirection().indirection().empty() &&
        val.a_indirection().indirection().rbegin()->has_a_star()) {
      // (composite).*: the fields of a row value, as many as its type has.
      o = StarRun();
      Expr(val.a_indirection().arg(), scope, &o);
    } else {
      o.name = rt.name().empty() ? FigureName(val) : rt.name();
      Expr(val, scope, &o);
    }
    budget_->Spend(Normalize(&o));
    out.push_back(std::move(o));
  }
  MergeAdjacentStars(&out);
  return out;
}

Outputs Analyzer::CteOutputs(const pg_query::CommonTableExpr& cte, const Scope& scope, bool seed) {
  const pg_query::Node& q = cte.ctequery();
  Outputs out;
  if (seed && q.has_select_stmt() && q.select_stmt().op() == pg_query::SETOP_UNION) {
    // A recursive CTE is `non-recursive term UNION [ALL] recursive term`; the first term alone
    // gives its columns, a sound start for the passes.
    Scope inner(&scope);
    if (q.select_stmt().has_with_clause()) With(q.select_stmt().with_clause(), &inner);
    out = Select(q.select_stmt().larg(), &inner);
  } else {
    out = Query(q, &scope);
  }
  RenameColumns(StringList(cte.aliascolnames()), &out);
  AddSearchColumns(cte, &out);
  return out;
}

void Analyzer::With(const pg_query::WithClause& with, Scope* scope) {
  const size_t first = scope->ctes.size();
  std::vector<const pg_query::CommonTableExpr*> bodies;  // of scope->ctes[first...]
  for (const pg_query::Node& n : with.ctes()) {
    if (!n.has_common_table_expr()) continue;
    const pg_query::CommonTableExpr& cte = n.common_table_expr();
    // Without RECURSIVE a CTE sees the ones before it in the list (and the outer levels').
    Outputs out = with.recursive() ? Outputs{} : CteOutputs(cte, *scope, false);
    if (scope->AddCte(Cte{cte.ctename(), with.recursive(), std::move(out)})) {
      bodies.push_back(&cte);
    }
  }
  if (!with.recursive()) return;
  // WITH RECURSIVE: every CTE of the list sees every other, and itself. Recompute them all
  // until nothing changes: the first pass takes each CTE's non-recursive term, each further
  // pass follows one more step of the recursion, and lineage only grows, so it settles. A
  // reference to a CTE not yet computed provides every name with no lineage
  // (Entry::Kind::kPending), in the first pass only.
  for (int pass = 0; pass < kMaxRecursivePasses && !budget_->exhausted(); ++pass) {
    bool changed = false;
    for (size_t i = 0; i < bodies.size(); ++i) {
      Outputs out = CteOutputs(*bodies[i], *scope, pass == 0);
      Cte& c = scope->ctes[first + i];
      if (c.pending || !SameLineage(c.outputs, out)) {
        changed = true;
        c.outputs = std::move(out);
        c.pending = false;
      }
    }
    if (!changed) return;
  }
  // Not settled: fail closed.
  for (size_t i = first; i < scope->ctes.size(); ++i) {
    for (OutputLineage& o : scope->ctes[i].outputs) o.unknown = true;
  }
}

std::vector<std::pair<std::string, OutputLineage>> Analyzer::Assign(const Nodes& set,
                                                                    const Scope& scope) {
  std::vector<std::pair<std::string, OutputLineage>> out;
  for (const pg_query::Node& n : set) {
    if (!n.has_res_target()) continue;
    // `SET col = v`, `SET col[1] = v`, `SET col.field = v` and `SET (a, b) = (SELECT ...)`
    // (each a MultiAssignRef to the whole source): v flows into col.
    OutputLineage v;
    Expr(n.res_target().val(), scope, &v);
    budget_->Spend(Normalize(&v));
    out.emplace_back(n.res_target().name(), std::move(v));
  }
  return out;
}

Outputs Analyzer::Insert(const pg_query::InsertStmt& s, const Scope* parent) {
  Scope scope(parent);
  if (s.has_with_clause()) With(s.with_clause(), &scope);
  // The inserted values (a SELECT or VALUES; none for DEFAULT VALUES) do not see the target.
  const Outputs values = s.has_select_stmt() ? Query(s.select_stmt(), &scope) : Outputs{};
  Entry target = BaseRelationEntry(s.relation());
  const size_t run = FirstStar(values);
  size_t i = 0;
  for (const pg_query::Node& col : s.cols()) {
    if (!col.has_res_target()) continue;
    if (i >= run) break;
    target.assigned.emplace_back(col.res_target().name(), values[i++]);
  }
  // Without a column list (or past a star run) the values go to columns we cannot name.
  if (s.cols().empty() || i < values.size()) AddFlow(FlowOf(values, i), &target.every_column);
  budget_->Spend(Normalize(&target.every_column));
  scope.entries.push_back(std::move(target));
  if (s.has_on_conflict_clause() &&
      s.on_conflict_clause().action() == pg_query::ONCONFLICT_UPDATE) {
    OnConflict(s.on_conflict_clause(), FlowOf(values), &scope);
  }
  return s.returning_list().empty() ? Outputs{} : Targets(s.returning_list(), scope);
}

void Analyzer::OnConflict(const pg_query::OnConflictClause& c, const OutputLineage& inserted,
                          Scope* scope) {
  // https://www.postgresql.org/docs/15/sql-insert.html#SQL-ON-CONFLICT: SET sees the existing
  // row (the target) and `excluded`, the row proposed for insertion.
  Scope set_scope(scope);
  Entry excluded = scope->entries.front();
  excluded.refname = "excluded";
  excluded.aliased = true;
  excluded.assigned.clear();
  excluded.every_column = inserted;
  set_scope.entries.push_back(std::move(excluded));
  auto assigned = Assign(c.target_list(), set_scope);
  Entry& target = scope->entries.front();
  for (auto& a : assigned) target.assigned.push_back(std::move(a));
}

Outputs Analyzer::Update(const pg_query::UpdateStmt& s, const Scope* parent) {
  Scope scope(parent);
  if (s.has_with_clause()) With(s.with_clause(), &scope);
  scope.entries.push_back(BaseRelationEntry(s.relation()));
  From(s.from_clause(), &scope);
  // RETURNING reads the new row: what SET wrote flows into it.
  auto assigned = Assign(s.target_list(), scope);
  Entry& target = scope.entries.front();
  for (auto& a : assigned) target.assigned.push_back(std::move(a));
  return s.returning_list().empty() ? Outputs{} : Targets(s.returning_list(), scope);
}

Outputs Analyzer::Delete(const pg_query::DeleteStmt& s, const Scope* parent) {
  Scope scope(parent);
  if (s.has_with_clause()) With(s.with_clause(), &scope);
  scope.entries.push_back(BaseRelationEntry(s.relation()));
  From(s.using_clause(), &scope);
  return s.returning_list().empty() ? Outputs{} : Targets(s.returning_list(), scope);
}

}  // namespace warden::sql::lineage
