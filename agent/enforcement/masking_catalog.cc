#include "agent/enforcement/masking_catalog.h"

#include <algorithm>
#include <charconv>
#include <numeric>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/masking/column_glob.h"
#include "common/sql/lineage/column_lineage.h"

namespace warden::agent {
namespace {

using Mask = MaskingCatalog::Mask;
using masking::FoldIdentifier;

enum Field : size_t { kOid, kSchema, kName, kKind, kAttnum, kAttname, kViewdef, kWidth };

template <typename T>
bool ParseNumber(const std::optional<std::string>& text, T& out) {
  if (!text.has_value() || text->empty()) return false;
  const char* end = text->data() + text->size();
  const auto [ptr, ec] = std::from_chars(text->data(), end, out);
  return ec == std::errc() && ptr == end;
}

// How much a mask hides, for "the best of" several: nothing < unknown < a rule, and between
// rules the earliest (the plan's order decides between rules, masking_plan.h).
bool Hides(const Mask& a, const Mask& b) {
  if (a.rule.has_value() != b.rule.has_value()) return a.rule.has_value();
  if (a.rule.has_value()) return *a.rule < *b.rule;
  return a.unknown && !b.unknown;
}

void Raise(Mask& best, const Mask& m) {
  if (Hides(m, best)) best = m;
}

// `wanted` (folded, as the lineage analysis reports it) names the catalog schema `schema`
// (folded): empty names any schema, "pg_temp" the session's temporary schema, pg_temp_N.
bool SchemaMatches(std::string_view wanted, std::string_view schema) {
  if (wanted.empty() || wanted == schema) return true;
  return wanted == "pg_temp" && schema.starts_with("pg_temp_");
}

absl::Status Malformed(size_t row, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("masking catalog row ", row, ": ", problem));
}

}  // namespace

// What flows into each column of one view, from its definition's lineage.
struct MaskingCatalog::ViewPlan {
  struct Column {
    std::optional<size_t> own_rule;  // a rule matching the view column's own name: it decides
    bool unknown = false;
    std::vector<sql::SourceColumn> sources;
    std::vector<sql::SourceRelation> rows;  // whole rows and star runs: any of their columns
  };
  size_t relation = 0;
  std::vector<Column> columns;
};

absl::StatusOr<MaskingCatalog> MaskingCatalog::Build(const std::vector<CatalogRow>& rows,
                                                     const masking::RuleSet& rules) {
  if (rows.size() > kMaxRows) {
    return absl::ResourceExhaustedError(
        absl::StrCat("masking catalog: more than ", kMaxRows, " rows"));
  }
  MaskingCatalog catalog;
  catalog.rules_ = &rules;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (absl::Status s = catalog.AddRow(rows[i]); !s.ok()) return Malformed(i, s.message());
  }
  if (absl::Status s = catalog.Index(); !s.ok()) return s;
  catalog.ResolveViews();
  return catalog;
}

absl::Status MaskingCatalog::AddRow(const CatalogRow& row) {
  if (row.size() != kWidth) return absl::InvalidArgumentError(absl::StrCat(row.size(), " values"));
  uint32_t oid = 0;
  int16_t attnum = 0;
  if (!ParseNumber(row[kOid], oid)) return absl::InvalidArgumentError("bad oid");
  if (!ParseNumber(row[kAttnum], attnum) || attnum < 0) {
    return absl::InvalidArgumentError("bad attnum");
  }
  if (!row[kSchema] || !row[kName] || !row[kKind] || row[kKind]->size() != 1) {
    return absl::InvalidArgumentError("bad relation");
  }
  const auto [it, added] = by_oid_.try_emplace(oid, relations_.size());
  if (added) {
    Relation& r = relations_.emplace_back();
    r.oid = oid;
    r.schema = *row[kSchema];
    r.name = *row[kName];
    r.kind = (*row[kKind])[0];
  }
  Relation& r = relations_[it->second];
  if (r.schema != *row[kSchema] || r.name != *row[kName] || r.kind != (*row[kKind])[0]) {
    return absl::InvalidArgumentError("rows of one relation disagree");
  }
  if (attnum == 0) {
    if (r.header || row[kAttname]) return absl::InvalidArgumentError("bad header row");
    r.header = true;
    r.viewdef = row[kViewdef];
    return absl::OkStatus();
  }
  if (!row[kAttname] || row[kViewdef]) return absl::InvalidArgumentError("bad column row");
  r.attnums.push_back(attnum);
  r.columns.push_back(*row[kAttname]);
  return absl::OkStatus();
}

// Orders each relation's columns, folds names, masks base columns and indexes by name.
absl::Status MaskingCatalog::Index() {
  for (size_t i = 0; i < relations_.size(); ++i) {
    Relation& r = relations_[i];
    if (!r.header) {
      return absl::InvalidArgumentError(
          absl::StrCat("masking catalog: relation ", r.oid, " has no header row"));
    }
    std::vector<size_t> order(r.attnums.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&r](size_t a, size_t b) { return r.attnums[a] < r.attnums[b]; });
    std::vector<int16_t> attnums;
    std::vector<std::string> columns;
    for (const size_t k : order) {
      if (!attnums.empty() && attnums.back() == r.attnums[k]) {
        return absl::InvalidArgumentError(
            absl::StrCat("masking catalog: relation ", r.oid, " repeats attnum ", r.attnums[k]));
      }
      attnums.push_back(r.attnums[k]);
      columns.push_back(std::move(r.columns[k]));
    }
    r.attnums = std::move(attnums);
    r.columns = std::move(columns);
    r.folded_schema = FoldIdentifier(r.schema);
    for (const std::string& c : r.columns) {
      r.folded_columns.push_back(FoldIdentifier(c));
      // A view column's own name decides first; its lineage is added by ResolveViews.
      const masking::RuleSet::Rule* rule = rules_->ColumnRule(r.schema, r.name, c);
      r.masks.push_back(rule ? Mask{rule->index, false} : Mask{});
    }
    by_name_[FoldIdentifier(r.name)].push_back(i);
  }
  return absl::OkStatus();
}

namespace {

// The one row-returning statement of a view definition, or nullptr when it is not usable.
const sql::StatementLineage* ViewStatement(const sql::LineageResult& lineage) {
  if (!lineage.parsed || lineage.statements.size() != 1) return nullptr;
  const sql::StatementLineage& s = lineage.statements[0];
  return s.returns_rows && !s.opaque ? &s : nullptr;
}

}  // namespace

// Resolves view columns through their definitions, views of views until nothing changes.
// Masks only rise (nothing < unknown < rule), and each view's are a function of what the others'
// are now, so repeating passes reaches the fixed point: a view whose sources are final is final
// after the next pass, so with views forming no cycle, views + 1 passes suffice (views in
// creation order usually take two). A cycle (CREATE OR REPLACE VIEW can make one, PostgreSQL
// refuses to run it) that has not settled by then is failed closed: its unmasked columns become
// unknown.
void MaskingCatalog::ResolveViews() {
  std::vector<ViewPlan> plans;
  for (size_t i = 0; i < relations_.size(); ++i) {
    const Relation& r = relations_[i];
    if (!r.is_view()) continue;
    ViewPlan& plan = plans.emplace_back();
    plan.relation = i;
    plan.columns.resize(r.columns.size());
    for (size_t k = 0; k < r.columns.size(); ++k) plan.columns[k].own_rule = r.masks[k].rule;
    const sql::LineageResult lineage =
        r.viewdef ? sql::AnalyzeLineage(*r.viewdef) : sql::LineageResult{};
    const sql::StatementLineage* stmt = ViewStatement(lineage);
    const std::vector<size_t> align =
        stmt ? sql::AlignOutputs(*stmt, r.columns.size()) : std::vector<size_t>{};
    for (size_t k = 0; k < plan.columns.size(); ++k) {
      ViewPlan::Column& column = plan.columns[k];
      if (align.size() != r.columns.size() || align[k] >= stmt->outputs.size()) {
        column.unknown = true;
        continue;
      }
      const sql::OutputLineage& out = stmt->outputs[align[k]];
      column.unknown = out.unknown;
      column.sources = out.columns;
      column.rows = out.whole_rows;
      // pg_get_viewdef expands `*`, but a star run is still any column of its relations.
      if (out.star)
        column.rows.insert(column.rows.end(), out.star_over.begin(), out.star_over.end());
    }
  }
  bool changed = true;
  for (size_t pass = 0; changed && pass <= plans.size(); ++pass) {
    changed = false;
    for (const ViewPlan& plan : plans) {
      for (size_t k = 0; k < plan.columns.size(); ++k) {
        const Mask m = Evaluate(plan, k);
        Mask& current = relations_[plan.relation].masks[k];
        if (!(m == current)) {
          current = m;
          changed = true;
        }
      }
    }
  }
  if (!changed) return;
  for (const ViewPlan& plan : plans) {
    for (Mask& m : relations_[plan.relation].masks) {
      if (!m.masked()) m.unknown = true;
    }
  }
}

Mask MaskingCatalog::Evaluate(const ViewPlan& plan, size_t k) const {
  const ViewPlan::Column& column = plan.columns[k];
  if (column.own_rule) return Mask{column.own_rule, false};
  Mask best{std::nullopt, column.unknown};
  for (const sql::SourceColumn& s : column.sources)
    Raise(best, ByName(s.schema, s.table, s.column));
  for (const sql::SourceRelation& s : column.rows) Raise(best, AnyColumn(s.schema, s.table));
  return best;
}

std::vector<size_t> MaskingCatalog::Named(std::string_view schema, std::string_view table) const {
  std::vector<size_t> out;
  const auto it = by_name_.find(FoldIdentifier(table));
  if (it == by_name_.end()) return out;
  const std::string wanted = FoldIdentifier(schema);
  for (const size_t i : it->second) {
    if (SchemaMatches(wanted, relations_[i].folded_schema)) out.push_back(i);
  }
  return out;
}

Mask MaskingCatalog::ByOid(uint32_t table_oid, int16_t attnum) const {
  const auto it = by_oid_.find(table_oid);
  if (it == by_oid_.end()) return Mask{};
  const Relation& r = relations_[it->second];
  const auto pos = std::lower_bound(r.attnums.begin(), r.attnums.end(), attnum);
  if (pos == r.attnums.end() || *pos != attnum) return Mask{};
  return r.masks[static_cast<size_t>(pos - r.attnums.begin())];
}

Mask MaskingCatalog::ByName(std::string_view schema, std::string_view table,
                            std::string_view column) const {
  Mask best;
  if (const masking::RuleSet::Rule* rule = rules_->ColumnRule(schema, table, column)) {
    best.rule = rule->index;
  }
  const std::string folded = FoldIdentifier(column);
  for (const size_t i : Named(schema, table)) {
    const Relation& r = relations_[i];
    for (size_t k = 0; k < r.folded_columns.size(); ++k) {
      if (r.folded_columns[k] == folded) Raise(best, r.masks[k]);
    }
  }
  return best;
}

Mask MaskingCatalog::AnyColumn(std::string_view schema, std::string_view table) const {
  Mask best;
  for (const size_t i : Named(schema, table)) {
    for (const Mask& m : relations_[i].masks) Raise(best, m);
  }
  return best;
}

const std::vector<std::string>* MaskingCatalog::Columns(std::string_view schema,
                                                        std::string_view table) const {
  const std::vector<size_t> named = Named(schema, table);
  if (named.empty()) return nullptr;
  const std::vector<std::string>& first = relations_[named[0]].columns;
  for (const size_t i : named) {
    if (relations_[i].columns != first) return nullptr;
  }
  return &first;
}

}  // namespace warden::agent
