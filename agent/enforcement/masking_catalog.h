// Which columns of the database's relations column masking covers, learnt from the database's
// own catalog: RowDescription names a result column by table OID and attribute
// number, and masking rules name columns by glob ("table.column", "schema.table.column",
// "*.column", common/masking/column_glob.h), so the agent asks the catalog which (OID, attnum)
// pairs the globs cover. Views are followed too: a view column computed from a masked column
// is masked by that column's rule, found by analysing the view's definition with the lineage
// analysis (common/sql/lineage/column_lineage.h), views of views until nothing changes.
//
// Two pure halves (DESIGN.md §4.3): MaskingCatalogQuery() writes the one SELECT the session
// sends; MaskingCatalog::Build() turns its rows into lookups. The session does the I/O.
//
// Rows of the query, one result set, every value in text format:
//   0 oid      the relation's pg_class OID (decimal)
//   1 schema   its schema name (exact; temporary schemas as pg_temp_N)
//   2 name     its relation name (exact)
//   3 relkind  'r', 'p', 'f' (tables), 'v' (view), 'm' (materialized view)
//   4 attnum   0 on the relation's one header row, else a live column's attribute number
//   5 attname  NULL on the header row, else the column's name (exact)
//   6 viewdef  on the header row of a view or materialized view, pg_get_viewdef() (NULL if
//              the view went away meanwhile); NULL on every other row
// Ordered by oid then attnum, at most kMaxRows + 1 rows (so that too many is seen, not read).
//
// The relations listed: every user relation (not in pg_catalog, information_schema, pg_toast;
// temporary schemas included) with a live column that some rule's column glob may match (a
// LIKE prefilter, a superset; Build decides exactly with RuleSet::ColumnRule); every view or
// materialized view that calls a function that is not pinned (not built in at initdb), as such
// a function may read any table and the lineage analysis says `unknown` for it; and then,
// transitively, every view and materialized view whose definition depends on a listed
// relation (pg_depend from its pg_rewrite rule). A relation that is not listed has no masked
// column.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "common/masking/rule_set.h"
#include "warden/v1/policy.pb.h"

namespace warden::agent {

// One DataRow of the catalog query: text-format values, std::nullopt for NULL.
using CatalogRow = std::vector<std::optional<std::string>>;

// The SQL text of the catalog query for `rules` (in plan order), for a simple Query on the
// client's own session connection at an idle moment, possibly inside the client's transaction.
// Empty when no rule has a column glob (there is nothing to ask).
//
// Safe whatever the session state: every table, function, type, collation and operator is
// qualified with pg_catalog (a search_path or a shadowing object cannot change it); names are
// folded with COLLATE "C" (ASCII only, exactly as FoldIdentifier, whatever the database's
// locale); literals are E'...' with only ASCII inside (right whether standard_conforming_strings
// is on or off, and whatever client_encoding); it casts nothing that can fail on data. It does
// take AccessShareLock on the listed views' relations (pg_get_viewdef), so it waits behind a
// concurrent ALTER of them as any query of theirs would.
std::string MaskingCatalogQuery(const std::vector<v1::MaskingRule>& rules);

class MaskingCatalog {
 public:
  // More rows than this is an error (the caller fails closed).
  static constexpr size_t kMaxRows = 200000;

  // How one column is masked. At most one of the two is set: a rule masks the whole value
  // anyway, so a column that has both a masked source and an unknown one takes the rule.
  struct Mask {
    std::optional<size_t> rule;  // RuleSet::Rule::index; the earliest rule wins
    bool unknown = false;  // a view column whose sources cannot be told: mask whole (fail closed)

    bool masked() const { return rule.has_value() || unknown; }
    friend bool operator==(const Mask& a, const Mask& b) {
      return a.rule == b.rule && a.unknown == b.unknown;
    }
  };

  // Builds from the rows of MaskingCatalogQuery(rules). `rules` is the same rules compiled; it
  // must outlive the catalog (ByName consults it), which is rebuilt whenever the rules change.
  // InvalidArgument for a malformed row (wrong width, a number that does not parse, a
  // relation whose rows disagree), ResourceExhausted for more than kMaxRows rows.
  [[nodiscard]] static absl::StatusOr<MaskingCatalog> Build(const std::vector<CatalogRow>& rows,
                                                            const masking::RuleSet& rules);

  // A column by RowDescription identity; unmasked when the relation or column is not listed.
  Mask ByOid(uint32_t table_oid, int16_t attnum) const;

  // A column by name as the lineage analysis reports it (lower case; an empty schema means any
  // schema, and "pg_temp" means the temporary schema, pg_temp_N): the best of the rule its name
  // matches directly (RuleSet::ColumnRule) and the masks of the same-named columns of the listed
  // relations (a view's masked column has no rule of its own name).
  Mask ByName(std::string_view schema, std::string_view table, std::string_view column) const;

  // A whole row of a relation by name (`row_to_json(c)`, `SELECT c FROM t c`): the best mask of
  // the columns of every listed relation with that name (schema as in ByName); unmasked when
  // none is listed.
  Mask AnyColumn(std::string_view schema, std::string_view table) const;

  // The live column names, in attnum order, of the listed relation with that name, to map a `*`
  // run exactly. nullptr when none is listed, or when the schema is empty and several listed
  // relations of that name differ in their columns (then use AnyColumn for the run).
  const std::vector<std::string>* Columns(std::string_view schema, std::string_view table) const;

  // How many relations are listed.
  size_t relations() const { return relations_.size(); }

 private:
  struct Relation {
    uint32_t oid = 0;
    std::string schema;  // as the catalog spells it
    std::string name;
    std::string folded_schema;
    char kind = 0;
    bool header = false;                 // its attnum 0 row was seen
    std::optional<std::string> viewdef;  // views and materialized views
    std::vector<int16_t> attnums;        // ascending
    std::vector<std::string> columns;    // by position in attnums
    std::vector<std::string> folded_columns;
    std::vector<Mask> masks;

    bool is_view() const { return kind == 'v' || kind == 'm'; }
  };
  struct ViewPlan;  // masking_catalog.cc

  MaskingCatalog() = default;

  absl::Status AddRow(const CatalogRow& row);
  absl::Status Index();
  void ResolveViews();
  std::vector<size_t> Named(std::string_view schema, std::string_view table) const;
  Mask Evaluate(const ViewPlan& plan, size_t column) const;

  const masking::RuleSet* rules_ = nullptr;
  std::vector<Relation> relations_;
  std::unordered_map<uint32_t, size_t> by_oid_;
  std::unordered_map<std::string, std::vector<size_t>> by_name_;  // folded relation name
};

}  // namespace warden::agent
