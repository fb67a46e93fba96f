// Which result columns column rules mask, and how. Pure: a result's
// RowDescription, its statement's lineage, the session's catalog snapshot and rules in; one
// decision per column out. The masker makes it once per result shape and catalog state.
//
// A column is masked by the first rule (in rule order) that any of these name:
//  - RowDescription's table OID and attribute number (a plain column reference, `*` included),
//    looked up in the catalog snapshot (masking_catalog.h), which also knows views;
//  - every source column the lineage analysis says may flow into it (casts, functions,
//    concatenation, aggregates, subqueries, CTEs, RETURNING, views by their definitions),
//    whole rows (`row_to_json(c)`: any masked column of c), and for a `*` run with no table
//    OID (a set operation, COPY) any masked column of the relations it runs over, or the exact
//    column when the catalog knows the relation's column order.
// It is of unknown origin (kUnknown: masked whole, or the statement denied, as the policy says)
// when the lineage cannot tell (a user function, a procedure's OUT parameters, a statement the
// request ledger could not identify) and RowDescription does not name it, or when RowDescription
// names a relation without a catalog snapshot to look it up in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "agent/enforcement/masking_catalog.h"
#include "common/masking/rule_set.h"
#include "common/sql/lineage/column_lineage.h"

namespace warden::agent {

struct ColumnMask {
  enum Kind : uint8_t { kNone, kRule, kUnknown };
  Kind kind = kNone;
  // The masked value can be written in the column's type (text, varchar, bpchar, name,
  // unknown); otherwise a masked value becomes NULL (a "****" would not parse as an int).
  bool text = false;
  uint32_t rule = 0;  // kRule: RuleSet::Rule::index
};

struct ResultField {
  uint32_t table_oid = 0;
  int16_t attnum = 0;
  uint32_t type_oid = 0;
};

// `fields`: the result's RowDescription (empty when the rows were never described: COPY, or a
// client that skipped Describe); `ncolumns`: the number of columns (fields.size(), or what a
// DataRow or CopyOutResponse says); `lineage`: null when unknown; `catalog`: null when the
// session has none (it failed to load).
std::vector<ColumnMask> PlanColumnMasks(const std::vector<ResultField>& fields, size_t ncolumns,
                                        const sql::StatementLineage* lineage,
                                        const MaskingCatalog* catalog,
                                        const masking::RuleSet& rules);

// True for the types a masked text can be written in (both formats: their binary form is the
// text itself).
bool IsTextType(uint32_t type_oid);

}  // namespace warden::agent
