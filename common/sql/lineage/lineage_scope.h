// Name scopes of the lineage analysis (column_lineage.h): what each FROM item of a query level
// provides, and how a column reference, a whole-row reference or a `*` resolves against the
// levels from the innermost outwards, as PostgreSQL resolves them
// (https://www.postgresql.org/docs/15/sql-select.html#SQL-FROM) but without a catalog: a base
// table may have any column, so an unqualified name that more than one FROM item may provide
// resolves to all of them.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "common/sql/lineage/lineage_set.h"
#include "pg_query/pg_query.pb.h"

namespace warden::sql::lineage {

// One FROM item. Names here keep the parser's case (it folds unquoted identifiers), as
// PostgreSQL compares them; only what leaves the analysis is lower-cased.
struct Entry {
  enum class Kind {
    kRelation,  // a base table or view: any column name may exist
    kDerived,   // subquery, CTE, function, VALUES, aliased join: `outputs` are its columns
    kJoin,      // an unaliased join: its two sides stay visible by their own names
    kPending,   // a recursive CTE still being computed: provides every name, with no lineage
  };
  Kind kind = Kind::kDerived;
  // What qualifies its columns (`refname.column`): the alias, else the relation, CTE or
  // function name; a join's USING alias. Empty: nothing does (an unaliased join).
  std::string refname;

  // kRelation
  SourceRelation relation;  // lower case, for the result
  std::string schema_exact, relname_exact;
  bool aliased = false;
  std::vector<std::string> renamed;  // FROM t AS a(x, y): x and y are some columns of t
  // Values the statement writes into the row and RETURNING reads back: per named column, and
  // into every column (INSERT without a column list, ON CONFLICT's `excluded`).
  std::vector<std::pair<std::string, OutputLineage>> assigned;
  OutputLineage every_column;

  // kDerived: the columns, in order; star runs where the width is unknown.
  Outputs outputs;

  // kJoin: left and right; `merged` are the USING (or NATURAL's common) columns, which `*`
  // lists first; merge_unknown: a NATURAL join whose common columns are unknown.
  std::vector<Entry> children;
  std::vector<std::string> merged;
  bool merge_unknown = false;
};

struct Cte {
  std::string name;
  bool pending = false;  // WITH RECURSIVE, before its lineage is known
  Outputs outputs;
};

// One query level: its FROM items and WITH names, inside the level around it (a subquery sees
// its outer queries' items: correlated references).
struct Scope {
  explicit Scope(const Scope* p) : parent(p) {}

  const Scope* parent;
  std::vector<Entry> entries;
  // While FROM is being built, a FROM item sees only the LATERAL-visible items before it.
  size_t visible = std::numeric_limits<size_t>::max();
  std::vector<Cte> ctes;  // this level's WITH list, in order

  size_t VisibleCount() const { return visible < entries.size() ? visible : entries.size(); }
  // Adds a CTE of this level's WITH list (PostgreSQL rejects a name used twice in one list;
  // the first one stays: returns false for a repeat).
  bool AddCte(Cte cte);
  // The CTE `name` visible here (this level's, then the outer ones), or nullptr.
  const Cte* FindCte(const std::string& name) const;

 private:
  absl::flat_hash_map<std::string, size_t> cte_index_;  // name -> position in ctes
};

// Resolves references in the target lists of one text; charges its work to `budget`.
class Resolver {
 public:
  explicit Resolver(Budget* budget) : budget_(budget) {}

  // A ColumnRef inside an expression: a column (qualified or not, or a field of a composite
  // column), or a whole row (`c`, `c.*`). Unresolvable references are unknown.
  void ColumnRefFlow(const pg_query::ColumnRef& ref, const Scope& scope, OutputLineage* into);
  // A `*` or `q.*` in a target list: the columns it expands to.
  Outputs ExpandStar(const pg_query::ColumnRef& ref, const Scope& scope);
  // Every column `e` provides, in order (what `e.*` expands to).
  Outputs Expand(const Entry& e);

 private:
  // What the candidates for a column name at one level carry.
  struct Candidates {
    OutputLineage listed;    // items that list the name (derived items): PostgreSQL takes it
    OutputLineage possible;  // items that may have it (base tables, star runs)
    bool definite = false;   // some item lists it: the name resolves at this level
    bool found = false;      // some item may have it
    // A name that one item lists and another may have is ambiguous, which PostgreSQL
    // rejects: where some item lists it, only those items can be the one.
    void AddTo(OutputLineage* into) const;
  };
  // Adds `e`'s candidates for column `name`.
  void Lookup(const Entry& e, const std::string& name, Candidates* c);
  void WholeRow(const Entry& e, OutputLineage* into);
  // Unqualified `name`: a column of any candidate FROM item, level by level outwards, else a
  // whole-row reference to the item called `name`.
  bool Unqualified(const std::string& name, const Scope& scope, OutputLineage* into);
  // The items `qualifier` (refname, or [catalog.]schema.table) names at the innermost level
  // that has any; empty when none.
  std::vector<const Entry*> Qualified(const std::vector<std::string>& qualifier,
                                      const Scope& scope);
  bool ColumnFlow(const std::vector<std::string>& fields, const Scope& scope, OutputLineage* into);
  Outputs ExpandJoin(const Entry& e);
  void Charge(size_t units) { budget_->Spend(units); }

  Budget* budget_;
};

}  // namespace warden::sql::lineage
