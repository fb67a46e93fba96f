// FROM items (https://www.postgresql.org/docs/15/sql-select.html#SQL-FROM): what each one
// provides to the level's name scope.
#include <string>
#include <utility>
#include <vector>

#include "common/sql/lineage/lineage_analyzer.h"
#include "common/sql/lineage/lineage_functions.h"

namespace warden::sql::lineage {
namespace {

std::vector<std::string> AliasColumns(const pg_query::Alias& alias) {
  std::vector<std::string> out;
  for (const pg_query::Node& n : alias.colnames()) {
    if (n.has_string()) out.push_back(n.string().sval());
  }
  return out;
}

// `AS name (col, ...)`: the item is called `name`, and its first columns are renamed.
void ApplyAlias(const pg_query::Alias& alias, Entry* e) {
  e->refname = alias.aliasname();
  RenameColumns(AliasColumns(alias), &e->outputs);
}

// What a FROM item the analysis does not know provides: anything.
Entry UnknownEntry() {
  Entry e;
  e.outputs.push_back(UnknownRun());
  return e;
}

// Sets which earlier items of `level` a FROM item sees while it is analyzed, and restores the
// old view on scope exit. LATERAL subqueries and all function calls see the items before them
// (https://www.postgresql.org/docs/15/queries-table-expressions.html#QUERIES-LATERAL); other
// subqueries see none, only the outer levels.
class LateralView {
 public:
  LateralView(Scope* level, bool lateral) : level_(level), saved_(level->visible) {
    level->visible = lateral ? level->entries.size() : 0;
  }
  ~LateralView() { level_->visible = saved_; }
  LateralView(const LateralView&) = delete;
  LateralView& operator=(const LateralView&) = delete;

 private:
  Scope* level_;
  size_t saved_;
};

bool HasRun(const Outputs& outputs) { return FirstStar(outputs) < outputs.size(); }

// NATURAL JOIN merges the columns both sides have; known only when both list their columns.
void NaturalColumns(const Outputs& left, const Outputs& right, Entry* join) {
  if (HasRun(left) || HasRun(right)) {
    join->merge_unknown = true;
    return;
  }
  for (const OutputLineage& l : left) {
    for (const OutputLineage& r : right) {
      if (l.name == r.name) {
        join->merged.push_back(l.name);
        break;
      }
    }
  }
}

}  // namespace

Entry BaseRelationEntry(const pg_query::RangeVar& rv) {
  Entry e;
  e.kind = Entry::Kind::kRelation;
  e.relation = {Lower(rv.schemaname()), Lower(rv.relname())};
  e.schema_exact = rv.schemaname();
  e.relname_exact = rv.relname();
  e.aliased = rv.has_alias();
  e.refname = e.aliased ? rv.alias().aliasname() : rv.relname();
  if (e.aliased) e.renamed = AliasColumns(rv.alias());
  return e;
}

void Analyzer::From(const Nodes& items, Scope* level) {
  for (const pg_query::Node& item : items) FromItem(item, level);
}

void Analyzer::FromItem(const pg_query::Node& item, Scope* level) {
  const bool ok = Enter();
  DepthGuard guard(this);
  if (!ok) {
    level->entries.push_back(UnknownEntry());
    return;
  }
  switch (item.node_case()) {
    case pg_query::Node::kRangeVar:
      level->entries.push_back(RelationEntry(item.range_var(), *level));
      return;
    case pg_query::Node::kRangeSubselect:
      level->entries.push_back(SubselectEntry(item.range_subselect(), level));
      return;
    case pg_query::Node::kRangeFunction:
      level->entries.push_back(FunctionEntry(item.range_function(), level));
      return;
    case pg_query::Node::kRangeTableFunc:
      level->entries.push_back(TableFuncEntry(item.range_table_func(), level));
      return;
    case pg_query::Node::kRangeTableSample:
      FromItem(item.range_table_sample().relation(), level);  // TABLESAMPLE only filters
      return;
    case pg_query::Node::kJoinExpr:
      JoinEntry(item.join_expr(), level);
      return;
    default:
      level->entries.push_back(UnknownEntry());
      return;
  }
}

Entry Analyzer::RelationEntry(const pg_query::RangeVar& rv, const Scope& scope) {
  // An unqualified name that matches a visible CTE is the CTE, not a table.
  const Cte* cte =
      rv.schemaname().empty() && rv.catalogname().empty() ? scope.FindCte(rv.relname()) : nullptr;
  if (cte == nullptr) return BaseRelationEntry(rv);
  Entry e;
  if (cte->pending) {
    e.kind = Entry::Kind::kPending;
  } else if (!budget_->Spend(Weight(cte->outputs))) {
    e = UnknownEntry();
  } else {
    e.outputs = cte->outputs;
  }
  e.refname = rv.relname();
  if (rv.has_alias()) ApplyAlias(rv.alias(), &e);
  return e;
}

Entry Analyzer::SubselectEntry(const pg_query::RangeSubselect& rs, Scope* level) {
  Entry e;
  {
    LateralView view(level, rs.lateral());
    e.outputs = Query(rs.subquery(), level);
  }
  if (rs.has_alias()) ApplyAlias(rs.alias(), &e);
  return e;
}

Entry Analyzer::FunctionEntry(const pg_query::RangeFunction& rf, Scope* level) {
  LateralView view(level, true);
  Entry e;
  for (const pg_query::Node& item : rf.functions()) {
    // Each item is (function call, column definition list or nothing); ROWS FROM has several.
    if (!item.has_list() || item.list().items().empty()) continue;
    const pg_query::Node& fn = item.list().items(0);
    if (e.refname.empty()) e.refname = FigureName(fn);
    OutputLineage flow;
    Expr(fn, *level, &flow);
    budget_->Spend(Normalize(&flow));
    const Nodes* coldefs = &rf.coldeflist();
    if (item.list().items_size() > 1 && item.list().items(1).has_list()) {
      coldefs = &item.list().items(1).list().items();
    }
    std::vector<std::string> names;
    for (const pg_query::Node& cd : *coldefs) {
      if (cd.has_column_def()) names.push_back(cd.column_def().colname());
    }
    if (names.empty() && fn.has_func_call() && !FromColumnNames(fn.func_call(), &names)) {
      // A row type we cannot see: as many columns as it has, each any of them.
      OutputLineage run = StarRun();
      AddFlow(flow, &run);
      e.outputs.push_back(std::move(run));
      continue;
    }
    if (names.empty()) names.push_back(FigureName(fn));
    // A function returning one value, aliased without column names, names its column by the
    // alias (https://www.postgresql.org/docs/15/queries-table-expressions.html).
    if (names.size() == 1 && rf.functions_size() == 1 && rf.has_alias() &&
        rf.alias().colnames().empty() && coldefs->empty()) {
      names[0] = rf.alias().aliasname();
    }
    for (std::string& name : names) {
      OutputLineage o = flow;
      o.name = std::move(name);
      e.outputs.push_back(std::move(o));
    }
  }
  if (rf.ordinality()) {
    OutputLineage ordinality;  // row numbers: nothing flows
    ordinality.name = "ordinality";
    e.outputs.push_back(std::move(ordinality));
  }
  MergeAdjacentStars(&e.outputs);
  if (rf.has_alias()) ApplyAlias(rf.alias(), &e);
  return e;
}

Entry Analyzer::TableFuncEntry(const pg_query::RangeTableFunc& tf, Scope* level) {
  // XMLTABLE: every column is extracted from the document by the row and column paths.
  LateralView view(level, true);
  Entry e;
  e.refname = "xmltable";
  OutputLineage document;
  Expr(tf.docexpr(), *level, &document);
  Expr(tf.rowexpr(), *level, &document);
  for (const pg_query::Node& n : tf.columns()) {
    if (!n.has_range_table_func_col()) continue;
    const pg_query::RangeTableFuncCol& col = n.range_table_func_col();
    OutputLineage o;
    o.name = col.colname();
    if (!col.for_ordinality()) {
      AddFlow(document, &o);
      Expr(col.colexpr(), *level, &o);
      Expr(col.coldefexpr(), *level, &o);
    }
    budget_->Spend(Normalize(&o));
    e.outputs.push_back(std::move(o));
  }
  if (tf.has_alias()) ApplyAlias(tf.alias(), &e);
  return e;
}

void Analyzer::JoinEntry(const pg_query::JoinExpr& j, Scope* level) {
  // The right side is added while the left one is in `level`, so a LATERAL right side sees it;
  // the ON condition only filters.
  FromItem(j.larg(), level);
  FromItem(j.rarg(), level);
  Entry join;
  join.kind = Entry::Kind::kJoin;
  join.children.push_back(std::move(level->entries[level->entries.size() - 2]));
  join.children.push_back(std::move(level->entries.back()));
  level->entries.resize(level->entries.size() - 2);
  for (const pg_query::Node& n : j.using_clause()) {
    if (n.has_string()) join.merged.push_back(n.string().sval());
  }
  if (j.is_natural()) {
    NaturalColumns(resolver_.Expand(join.children[0]), resolver_.Expand(join.children[1]), &join);
  }
  // `JOIN ... USING (id) AS u` names the merged columns u.id.
  if (j.has_join_using_alias()) join.refname = j.join_using_alias().aliasname();
  if (!j.has_alias()) {
    level->entries.push_back(std::move(join));
    return;
  }
  // An aliased join hides the names of the items inside it: it is one item with the join's
  // columns.
  Entry aliased;
  aliased.outputs = resolver_.Expand(join);
  ApplyAlias(j.alias(), &aliased);
  level->entries.push_back(std::move(aliased));
}

}  // namespace warden::sql::lineage
