#include "common/sql/lineage/lineage_scope.h"

#include <algorithm>

namespace warden::sql::lineage {
namespace {

// A ColumnRef's names; `star` when it ends in `*`. False for a shape the grammar does not give
// (a star that is not last, a field that is not a name).
bool FieldNames(const pg_query::ColumnRef& ref, std::vector<std::string>* names, bool* star) {
  *star = false;
  for (const pg_query::Node& f : ref.fields()) {
    if (*star) return false;
    if (f.has_a_star()) {
      *star = true;
    } else if (f.has_string()) {
      names->push_back(f.string().sval());
    } else {
      return false;
    }
  }
  return !names->empty() || *star;
}

// Does `qualifier` name `e`? One name is its refname; two or three are [catalog.]schema.table,
// which names an unaliased relation (a relation written without a schema may be in any).
bool Names(const Entry& e, const std::vector<std::string>& qualifier) {
  if (qualifier.size() == 1) return !e.refname.empty() && e.refname == qualifier[0];
  if (qualifier.size() > 3 || e.kind != Entry::Kind::kRelation || e.aliased) return false;
  const std::string& schema = qualifier[qualifier.size() - 2];
  return e.relname_exact == qualifier.back() &&
         (e.schema_exact.empty() || e.schema_exact == schema);
}

// `e` and, through unaliased joins, the items inside it that `qualifier` names.
void CollectNamed(const Entry& e, const std::vector<std::string>& qualifier,
                  std::vector<const Entry*>* out) {
  if (Names(e, qualifier)) out->push_back(&e);
  for (const Entry& child : e.children) CollectNamed(child, qualifier, out);
}

void Append(Outputs more, Outputs* out) {
  out->insert(out->end(), std::make_move_iterator(more.begin()),
              std::make_move_iterator(more.end()));
}

bool Contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

bool Scope::AddCte(Cte cte) {
  if (!cte_index_.emplace(cte.name, ctes.size()).second) return false;
  ctes.push_back(std::move(cte));
  return true;
}

const Cte* Scope::FindCte(const std::string& name) const {
  // An inner WITH shadows an outer one: this level first.
  for (const Scope* s = this; s != nullptr; s = s->parent) {
    if (auto it = s->cte_index_.find(name); it != s->cte_index_.end()) return &s->ctes[it->second];
  }
  return nullptr;
}

void Resolver::Candidates::AddTo(OutputLineage* into) const {
  AddFlow(definite ? listed : possible, into);
}

void Resolver::Lookup(const Entry& e, const std::string& name, Candidates* c) {
  Charge(1);
  switch (e.kind) {
    case Entry::Kind::kRelation: {
      OutputLineage& into = c->possible;
      into.columns.push_back({e.relation.schema, e.relation.table, Lower(name)});
      if (Contains(e.renamed, name)) into.whole_rows.push_back(e.relation);
      for (const auto& [column, value] : e.assigned) {
        if (column == name) Charge(AddFlow(value, &into));
      }
      Charge(AddFlow(e.every_column, &into));
      c->found = true;
      return;
    }
    case Entry::Kind::kDerived:
      for (const OutputLineage& o : e.outputs) {
        if (o.star) {
          // The run holds some columns of its relations: this one, if it is among them.
          for (const SourceRelation& r : o.star_over) {
            c->possible.columns.push_back({r.schema, r.table, Lower(name)});
          }
          OutputLineage rest = o;
          rest.star_over.clear();
          Charge(AddFlow(rest, &c->possible));
          c->found = true;
        } else if (o.name == name) {
          Charge(AddFlow(o, &c->listed));
          c->found = c->definite = true;
        }
      }
      return;
    case Entry::Kind::kJoin: {
      if (!e.merge_unknown && !Contains(e.merged, name)) {
        for (const Entry& child : e.children) Lookup(child, name, c);
        return;
      }
      // A merged column (USING, NATURAL) is the left side's value, the right's (RIGHT JOIN)
      // or COALESCE of both (FULL JOIN): whatever either side may have flows.
      Candidates sides;
      for (const Entry& child : e.children) Lookup(child, name, &sides);
      OutputLineage* to = sides.definite ? &c->listed : &c->possible;
      Charge(AddFlow(sides.listed, to) + AddFlow(sides.possible, to));
      c->found = c->found || sides.found;
      c->definite = c->definite || sides.definite;
      return;
    }
    case Entry::Kind::kPending:
      c->found = c->definite = true;
      return;
  }
}

void Resolver::WholeRow(const Entry& e, OutputLineage* into) {
  Charge(1);
  switch (e.kind) {
    case Entry::Kind::kRelation:
      into->whole_rows.push_back(e.relation);
      for (const auto& assigned : e.assigned) Charge(AddFlow(assigned.second, into));
      Charge(AddFlow(e.every_column, into));
      return;
    case Entry::Kind::kDerived:
      for (const OutputLineage& o : e.outputs) Charge(AddFlow(o, into));
      return;
    case Entry::Kind::kJoin:
      for (const Entry& child : e.children) WholeRow(child, into);
      return;
    case Entry::Kind::kPending:
      return;
  }
}

bool Resolver::Unqualified(const std::string& name, const Scope& scope, OutputLineage* into) {
  bool found = false;
  const std::vector<std::string> qualifier = {name};
  std::vector<const Entry*> rows;  // items called `name`: a whole-row reference, if no column
  for (const Scope* s = &scope; s != nullptr; s = s->parent) {
    Candidates c;
    for (size_t i = 0; i < s->VisibleCount(); ++i) {
      Lookup(s->entries[i], name, &c);
      CollectNamed(s->entries[i], qualifier, &rows);
    }
    c.AddTo(into);
    found = found || c.found;
    // PostgreSQL takes the innermost level that has the column. Where a level only may have
    // it (a base table), the outer levels may be the ones that do: keep going.
    if (c.definite) return true;
  }
  for (const Entry* r : rows) WholeRow(*r, into);
  return found || !rows.empty();
}

std::vector<const Entry*> Resolver::Qualified(const std::vector<std::string>& qualifier,
                                              const Scope& scope) {
  std::vector<const Entry*> named;
  for (const Scope* s = &scope; s != nullptr && named.empty(); s = s->parent) {
    Charge(1 + s->VisibleCount());
    for (size_t i = 0; i < s->VisibleCount(); ++i) CollectNamed(s->entries[i], qualifier, &named);
  }
  return named;
}

bool Resolver::ColumnFlow(const std::vector<std::string>& fields, const Scope& scope,
                          OutputLineage* into) {
  if (fields.size() == 1) return Unqualified(fields[0], scope, into);
  const std::vector<std::string> qualifier(fields.begin(), fields.end() - 1);
  const std::vector<const Entry*> named = Qualified(qualifier, scope);
  if (!named.empty()) {
    Candidates c;
    for (const Entry* e : named) Lookup(*e, fields.back(), &c);
    c.AddTo(into);
    // A listed item without that column: PostgreSQL rejects the reference; fail closed.
    if (!c.found) into->unknown = true;
    return true;
  }
  // No FROM item by that name: PostgreSQL then reads `a.b` as field b of composite column a.
  return ColumnFlow(qualifier, scope, into);
}

void Resolver::ColumnRefFlow(const pg_query::ColumnRef& ref, const Scope& scope,
                             OutputLineage* into) {
  std::vector<std::string> names;
  bool star = false;
  if (!FieldNames(ref, &names, &star)) {
    into->unknown = true;
  } else if (!star) {
    if (!ColumnFlow(names, scope, into)) into->unknown = true;
  } else if (names.empty()) {
    // A bare `*` inside an expression: every row of this level.
    if (scope.VisibleCount() == 0) into->unknown = true;
    for (size_t i = 0; i < scope.VisibleCount(); ++i) WholeRow(scope.entries[i], into);
  } else {
    const std::vector<const Entry*> named = Qualified(names, scope);
    if (named.empty()) into->unknown = true;
    for (const Entry* e : named) WholeRow(*e, into);
  }
}

Outputs Resolver::ExpandJoin(const Entry& e) {
  Outputs left = Expand(e.children.at(0));
  Outputs right = Expand(e.children.at(1));
  const bool runs = FirstStar(left) < left.size() || FirstStar(right) < right.size();
  if (e.merged.empty() && !e.merge_unknown) {
    Append(std::move(right), &left);
    return left;
  }
  if (e.merge_unknown || runs) {
    // Where the merged columns stand, and which they are, is unknown: one run holds all.
    OutputLineage run = StarRun();
    for (const OutputLineage& o : left) AddRun(o, &run);
    for (const OutputLineage& o : right) AddRun(o, &run);
    Normalize(&run);
    return {run};
  }
  // https://www.postgresql.org/docs/15/queries-table-expressions.html: `*` over a USING join
  // lists each merged column once, first, then the other columns of each side.
  Outputs out;
  for (const std::string& name : e.merged) {
    OutputLineage o;
    o.name = name;
    for (const Outputs* side : {&left, &right}) {
      for (const OutputLineage& x : *side) {
        if (x.name == name) AddFlow(x, &o);
      }
    }
    Normalize(&o);
    out.push_back(std::move(o));
  }
  for (Outputs* side : {&left, &right}) {
    for (OutputLineage& x : *side) {
      if (!Contains(e.merged, x.name)) out.push_back(std::move(x));
    }
  }
  return out;
}

Outputs Resolver::Expand(const Entry& e) {
  Outputs out;
  switch (e.kind) {
    case Entry::Kind::kRelation: {
      OutputLineage run = StarRun();
      run.star_over.push_back(e.relation);
      for (const auto& assigned : e.assigned) AddFlow(assigned.second, &run);
      AddFlow(e.every_column, &run);
      Normalize(&run);
      out.push_back(std::move(run));
      break;
    }
    case Entry::Kind::kDerived:
      // Charged before the copy: a crafted text can make lists that double at each step.
      if (!budget_->Spend(Weight(e.outputs))) return {UnknownRun()};
      out = e.outputs;
      break;
    case Entry::Kind::kJoin:
      out = ExpandJoin(e);
      break;
    case Entry::Kind::kPending:
      break;
  }
  MergeAdjacentStars(&out);
  return out;
}

Outputs Resolver::ExpandStar(const pg_query::ColumnRef& ref, const Scope& scope) {
  std::vector<std::string> names;
  bool star = false;
  if (!FieldNames(ref, &names, &star) || !star) return {UnknownRun()};
  Outputs out;
  if (names.empty()) {
    // `SELECT *` without FROM is an error in PostgreSQL; fail closed all the same.
    if (scope.VisibleCount() == 0) return {UnknownRun()};
    for (size_t i = 0; i < scope.VisibleCount(); ++i) Append(Expand(scope.entries[i]), &out);
  } else {
    const std::vector<const Entry*> named = Qualified(names, scope);
    if (named.empty()) return {UnknownRun()};
    for (const Entry* e : named) Append(Expand(*e), &out);
  }
  MergeAdjacentStars(&out);
  return out;
}

}  // namespace warden::sql::lineage
