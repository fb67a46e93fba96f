#include "common/sql/lineage/lineage_set.h"

#include <algorithm>
#include <bit>

#include "absl/strings/ascii.h"

namespace warden::sql::lineage {
namespace {

template <typename T>
void SortUnique(std::vector<T>* v) {
  std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
}

template <typename T>
size_t Append(const std::vector<T>& from, std::vector<T>* to) {
  to->insert(to->end(), from.begin(), from.end());
  return from.size();
}

}  // namespace

std::string Lower(const std::string& s) { return absl::AsciiStrToLower(s); }

OutputLineage StarRun() {
  OutputLineage run;
  run.name.push_back('*');  // (assigning a literal trips GCC 12's -Wrestrict false positive)
  run.star = true;
  return run;
}

OutputLineage UnknownRun() {
  OutputLineage run = StarRun();
  run.unknown = true;
  return run;
}

size_t Normalize(OutputLineage* o) {
  const size_t n = o->star_over.size() + o->columns.size() + o->whole_rows.size();
  SortUnique(&o->star_over);
  SortUnique(&o->columns);
  SortUnique(&o->whole_rows);
  return n * std::bit_width(n);
}

size_t AddFlow(const OutputLineage& from, OutputLineage* to) {
  size_t n = Append(from.columns, &to->columns);
  n += Append(from.whole_rows, &to->whole_rows);
  n += Append(from.star_over, &to->whole_rows);
  to->unknown = to->unknown || from.unknown;
  return n + 1;
}

size_t AddRun(const OutputLineage& from, OutputLineage* to) {
  size_t n = Append(from.columns, &to->columns);
  n += Append(from.whole_rows, &to->whole_rows);
  n += Append(from.star_over, to->star ? &to->star_over : &to->whole_rows);
  to->unknown = to->unknown || from.unknown;
  return n + 1;
}

OutputLineage FlowOf(const Outputs& outputs, size_t from) {
  OutputLineage flow;
  for (size_t i = from; i < outputs.size(); ++i) AddFlow(outputs[i], &flow);
  Normalize(&flow);
  return flow;
}

size_t Weight(const Outputs& outputs) {
  size_t n = 0;
  for (const OutputLineage& o : outputs) {
    n += 1 + o.columns.size() + o.whole_rows.size() + o.star_over.size();
  }
  return n;
}

size_t FirstStar(const Outputs& outputs) {
  size_t i = 0;
  while (i < outputs.size() && !outputs[i].star) ++i;
  return i;
}

void MergeAdjacentStars(Outputs* outputs) {
  Outputs merged;
  merged.reserve(outputs->size());
  for (OutputLineage& o : *outputs) {
    if (o.star && !merged.empty() && merged.back().star) {
      AddRun(o, &merged.back());
      Normalize(&merged.back());
    } else {
      merged.push_back(std::move(o));
    }
  }
  *outputs = std::move(merged);
}

void CombinePositional(const Outputs& right, Outputs* left) {
  const size_t ls = FirstStar(*left), rs = FirstStar(right);
  const bool runs = ls < left->size() || rs < right.size();
  if (!runs && left->size() != right.size()) {
    for (size_t i = 0; i < right.size(); ++i) {
      if (i >= left->size()) left->push_back(right[i]);
    }
    for (OutputLineage& o : *left) o.unknown = true;
    return;
  }
  const size_t k = std::min(ls, rs);
  for (size_t i = 0; i < k; ++i) {
    AddRun(right[i], &(*left)[i]);
    Normalize(&(*left)[i]);
  }
  if (!runs) return;
  OutputLineage tail = StarRun();
  for (size_t i = k; i < left->size(); ++i) AddRun((*left)[i], &tail);
  for (size_t i = k; i < right.size(); ++i) AddRun(right[i], &tail);
  Normalize(&tail);
  left->resize(k);
  left->push_back(std::move(tail));
}

void RenameColumns(const std::vector<std::string>& names, Outputs* outputs) {
  const size_t star = FirstStar(*outputs);
  for (size_t i = 0; i < names.size() && i < star; ++i) (*outputs)[i].name = names[i];
  if (star >= outputs->size() || names.size() <= star) return;
  OutputLineage rest = StarRun();
  for (size_t i = star; i < outputs->size(); ++i) AddRun((*outputs)[i], &rest);
  Normalize(&rest);
  outputs->resize(star);
  for (size_t i = star; i < names.size(); ++i) {
    OutputLineage named;
    named.name = names[i];
    AddFlow(rest, &named);
    Normalize(&named);
    outputs->push_back(std::move(named));
  }
  outputs->push_back(std::move(rest));
}

bool SameLineage(const OutputLineage& a, const OutputLineage& b) {
  return a.name == b.name && a.star == b.star && a.unknown == b.unknown &&
         a.star_over == b.star_over && a.columns == b.columns && a.whole_rows == b.whole_rows;
}

bool SameLineage(const Outputs& a, const Outputs& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!SameLineage(a[i], b[i])) return false;
  }
  return true;
}

}  // namespace warden::sql::lineage
