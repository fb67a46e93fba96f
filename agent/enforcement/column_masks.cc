#include "agent/enforcement/column_masks.h"

#include <algorithm>
#include <limits>
#include <optional>

#include "agent/enforcement/catalog_columns.h"

namespace warden::agent {

namespace {

using Mask = MaskingCatalog::Mask;

// Keeps the first rule in rule order; unknown only while no rule names the column.
void Merge(const Mask& m, ColumnMask* out) {
  if (m.rule) {
    if (out->kind != ColumnMask::kRule || *m.rule < out->rule) {
      out->kind = ColumnMask::kRule;
      out->rule = static_cast<uint32_t>(*m.rule);
    }
  } else if (m.unknown && out->kind == ColumnMask::kNone) {
    out->kind = ColumnMask::kUnknown;
  }
}

class Planner {
 public:
  Planner(const MaskingCatalog* catalog, const masking::RuleSet& rules)
      : catalog_(catalog), rules_(rules) {}

  Mask ByName(const sql::SourceColumn& c) const {
    if (IsSystemRelation(c.schema, c.table) && !KnownUserRelation(c.schema, c.table)) {
      // catalog_columns.h: unknown origin unless the column is known to hold no user data.
      return CatalogColumnCarriesNoUserData(c.table, c.column) ? Mask{} : Mask{std::nullopt, true};
    }
    if (catalog_) return catalog_->ByName(c.schema, c.table, c.column);
    const auto* rule = rules_.ColumnRule(c.schema, c.table, c.column);
    return rule ? Mask{rule->index, false} : Mask{};
  }

  // Any masked column of a relation; without a catalog, unknown (its columns cannot be told).
  Mask AnyColumn(const sql::SourceRelation& r) const {
    if (IsSystemRelation(r.schema, r.table) && !KnownUserRelation(r.schema, r.table)) {
      return CatalogRelationCarriesNoUserData(r.table) ? Mask{} : Mask{std::nullopt, true};
    }
    if (catalog_) return catalog_->AnyColumn(r.schema, r.table);
    return Mask{std::nullopt, true};
  }

  Mask ByOid(const ResultField& f) const {
    if (catalog_) return catalog_->ByOid(f.table_oid, f.attnum);
    return Mask{std::nullopt, true};
  }

  // `position`: the column's place within a star run, when it has no table OID.
  void FromOutput(const sql::OutputLineage& o, const ResultField* field, size_t position,
                  size_t run_length, ColumnMask* out) const {
    for (const sql::SourceColumn& c : o.columns) Merge(ByName(c), out);
    for (const sql::SourceRelation& r : o.whole_rows) Merge(AnyColumn(r), out);
    if (o.star && (!field || field->table_oid == 0)) {
      const std::vector<std::string>* columns =
          catalog_ && o.star_over.size() == 1
              ? catalog_->Columns(o.star_over[0].schema, o.star_over[0].table)
              : nullptr;
      if (columns && columns->size() == run_length && position < run_length) {
        // One relation whose column order the catalog knows: the exact column.
        const sql::SourceRelation& r = o.star_over[0];
        Merge(ByName({r.schema, r.table, (*columns)[position]}), out);
      } else {
        for (const sql::SourceRelation& r : o.star_over) Merge(AnyColumn(r), out);
      }
    }
    if (o.unknown) Merge(Mask{std::nullopt, true}, out);
  }

 private:
  // An unqualified pg_* name the catalog lists as a user relation is that relation.
  bool KnownUserRelation(std::string_view schema, std::string_view table) const {
    return schema.empty() && catalog_ && catalog_->Columns(schema, table) != nullptr;
  }

  const MaskingCatalog* catalog_;
  const masking::RuleSet& rules_;
};

}  // namespace

bool IsTextType(uint32_t type_oid) {
  switch (type_oid) {
    case 19:    // name
    case 25:    // text
    case 705:   // unknown
    case 1042:  // bpchar
    case 1043:  // varchar
      return true;
    default:
      return false;
  }
}

std::vector<ColumnMask> PlanColumnMasks(const std::vector<ResultField>& fields, size_t ncolumns,
                                        const sql::StatementLineage* lineage,
                                        const MaskingCatalog* catalog,
                                        const masking::RuleSet& rules) {
  const Planner planner(catalog, rules);
  std::vector<ColumnMask> masks(ncolumns);
  const bool described = fields.size() == ncolumns;
  for (size_t i = 0; i < ncolumns; ++i) {
    if (!described) continue;
    masks[i].text = IsTextType(fields[i].type_oid);
    if (fields[i].table_oid != 0) Merge(planner.ByOid(fields[i]), &masks[i]);
  }
  // A DECLARE or PREPARE (what a FETCH or EXECUTE resolved to) describes rows it does not send.
  const bool known =
      lineage && !lineage->opaque &&
      (lineage->returns_rows || !lineage->cursor.empty() || !lineage->prepared.empty());
  if (!known) {
    // Nothing says where the other columns come from.
    for (size_t i = 0; i < ncolumns; ++i) {
      if (!described || fields[i].table_oid == 0) Merge(Mask{std::nullopt, true}, &masks[i]);
    }
    return masks;
  }
  const std::vector<size_t> entry = sql::AlignOutputs(*lineage, ncolumns);
  if (entry.size() != ncolumns) {
    // Cannot tell which entry is which column: everything the statement reads, for each
    // column RowDescription does not name.
    const sql::OutputLineage merged = sql::MergedLineage(*lineage);
    for (size_t i = 0; i < ncolumns; ++i) {
      if (described && fields[i].table_oid != 0) continue;
      planner.FromOutput(merged, described ? &fields[i] : nullptr, 0, 0, &masks[i]);
    }
    return masks;
  }
  size_t run_start = 0;
  for (size_t i = 0; i < ncolumns; ++i) {
    if (i == 0 || entry[i] != entry[i - 1]) run_start = i;
    size_t run_end = i;
    while (run_end < ncolumns && entry[run_end] == entry[i]) ++run_end;
    const size_t run_length = run_end - run_start;
    planner.FromOutput(lineage->outputs[entry[i]], described ? &fields[i] : nullptr, i - run_start,
                       run_length, &masks[i]);
  }
  return masks;
}

}  // namespace warden::agent
