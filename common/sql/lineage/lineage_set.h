// Set operations on OutputLineage values for the lineage analysis (column_lineage.h): how
// lineage combines when a value flows into an expression, when set-operation branches or VALUES
// rows meet column by column, and when column aliases rename a list of outputs.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/sql/lineage/column_lineage.h"

namespace warden::sql::lineage {

using Outputs = std::vector<OutputLineage>;

// Work the analysis may still do for one text; every node visited and every lineage item copied
// costs one unit. Bounds what a crafted text (nested recursive CTEs, a CTE referenced thousands
// of times) can cost; an exhausted budget makes the statement opaque.
class Budget {
 public:
  explicit Budget(size_t units) : left_(units) {}
  // False, from now on, once the budget is spent.
  bool Spend(size_t units) {
    if (units > left_) {
      left_ = 0;
      exhausted_ = true;
    } else {
      left_ -= units;
    }
    return !exhausted_;
  }
  bool exhausted() const { return exhausted_; }

 private:
  size_t left_;
  bool exhausted_ = false;
};

// Lower case for names that leave the analysis (column_lineage.h reports them lower case).
std::string Lower(const std::string& s);

// A star run (column_lineage.h) with nothing in it yet.
OutputLineage StarRun();
// A star run of unknown lineage: what the analysis cannot see.
OutputLineage UnknownRun();

// Sorts and de-duplicates the lists. Returns the work it took (items times their log).
size_t Normalize(OutputLineage* o);

// `from`'s value flows into `to`, an expression over it: columns, whole rows and unknown; a
// star run's relations become whole rows (any of their columns may be in it). Returns the
// number of items copied.
size_t AddFlow(const OutputLineage& from, OutputLineage* to);

// `from` joins the run `to` (a star run, or a column of a set operation): like AddFlow, but
// a star run's relations stay star_over.
size_t AddRun(const OutputLineage& from, OutputLineage* to);

// Everything that flows into any of `outputs`, as one value.
OutputLineage FlowOf(const Outputs& outputs, size_t from = 0);

// Items in all of `outputs`: what copying them costs.
size_t Weight(const Outputs& outputs);

// Index of the first star run, or outputs.size().
size_t FirstStar(const Outputs& outputs);

// Merges each group of adjacent star runs into one, so one run stands for them all and
// AlignOutputs can place the columns around it.
void MergeAdjacentStars(Outputs* outputs);

// Column i of the result is the union of column i of `left` and of `right` (set operations,
// VALUES rows); names are left's. Past the first star run on either side positions are unknown,
// so the rest of both becomes one star run. Lists of different widths without a run (which
// PostgreSQL rejects) are unknown.
void CombinePositional(const Outputs& right, Outputs* left);

// Applies column aliases (`AS s(a, b)`, a CTE's column list) to the first outputs. An alias
// that falls at or past a star run names a column the analysis cannot place: it gets the flow
// of the whole rest, which stays as a run after it.
void RenameColumns(const std::vector<std::string>& names, Outputs* outputs);

bool SameLineage(const OutputLineage& a, const OutputLineage& b);
bool SameLineage(const Outputs& a, const Outputs& b);

}  // namespace warden::sql::lineage
