// AnalyzeLineage() on arbitrary bytes must never crash, hang or leak: statement text reaches the
// agent from untrusted clients. Also checks what the masker relies on: lineage only for texts the
// parser accepts, one entry per statement, sorted and lower-case source lists, names on every
// column, and output alignment that never points outside the outputs.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/sql/classify/classifier.h"
#include "common/sql/lineage/column_lineage.h"

namespace {

using warden::sql::OutputLineage;
using warden::sql::SourceColumn;
using warden::sql::SourceRelation;
using warden::sql::StatementLineage;

void Require(bool ok) {
  if (!ok) __builtin_trap();
}

template <typename T>
bool SortedUnique(const std::vector<T>& v) {
  return std::is_sorted(v.begin(), v.end()) && std::adjacent_find(v.begin(), v.end()) == v.end();
}

bool Lower(const std::string& s) {
  return std::none_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

bool GoodRelation(const SourceRelation& r) {
  return !r.table.empty() && Lower(r.table) && Lower(r.schema);
}

void CheckOutput(const OutputLineage& o) {
  Require(!o.name.empty());
  Require(o.star || o.star_over.empty());
  Require(SortedUnique(o.columns) && SortedUnique(o.whole_rows) && SortedUnique(o.star_over));
  for (const SourceColumn& c : o.columns) {
    Require(GoodRelation({c.schema, c.table}) && !c.column.empty() && Lower(c.column));
  }
  Require(std::all_of(o.whole_rows.begin(), o.whole_rows.end(), GoodRelation));
  Require(std::all_of(o.star_over.begin(), o.star_over.end(), GoodRelation));
}

void CheckAlignment(const StatementLineage& s, size_t result_columns) {
  const std::vector<size_t> map = warden::sql::AlignOutputs(s, result_columns);
  if (map.empty()) return;
  Require(map.size() == result_columns);
  Require(std::is_sorted(map.begin(), map.end()));
  for (size_t i : map) Require(i < s.outputs.size());
}

void CheckStatement(const StatementLineage& s) {
  if (s.opaque) {
    Require(s.outputs.empty());
    Require(s.returns_rows || !s.cursor.empty() || !s.prepared.empty());
  }
  // FETCH and EXECUTE name what describes their rows; they describe none themselves.
  if (s.returns_rows && (!s.cursor.empty() || !s.prepared.empty())) Require(s.outputs.empty());
  bool previous_star = false;
  for (const OutputLineage& o : s.outputs) {
    CheckOutput(o);
    Require(!(o.star && previous_star));  // adjacent runs are merged
    previous_star = o.star;
  }
  for (size_t extra : {size_t{0}, size_t{1}, size_t{7}})
    CheckAlignment(s, s.outputs.size() + extra);
  if (!s.outputs.empty()) CheckAlignment(s, s.outputs.size() - 1);
  CheckOutput([&] {
    OutputLineage all = warden::sql::MergedLineage(s);
    all.name = "all";
    return all;
  }());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Query and Parse texts are NUL-terminated on the wire; keep inputs short so the fuzzer
  // explores grammar rather than length.
  std::string_view sql(reinterpret_cast<const char*>(data), size > 4096 ? 4096 : size);
  if (size_t nul = sql.find('\0'); nul != std::string_view::npos) sql = sql.substr(0, nul);
  const warden::sql::LineageResult r = warden::sql::AnalyzeLineage(sql);
  Require(r.parsed == r.error.empty());
  if (!r.parsed) {
    Require(r.statements.empty());
    return 0;
  }
  // The classifier reads the same parse: it must agree on the statements.
  const warden::sql::ClassifiedBatch batch = warden::sql::Classify(sql);
  Require(batch.parsed && batch.statements.size() == r.statements.size());
  for (const StatementLineage& s : r.statements) CheckStatement(s);
  // Pure: the same text gives the same answer.
  const warden::sql::LineageResult again = warden::sql::AnalyzeLineage(sql);
  Require(again.statements.size() == r.statements.size());
  for (size_t i = 0; i < r.statements.size(); ++i) {
    Require(warden::sql::DescribeLineage(again.statements[i]) ==
            warden::sql::DescribeLineage(r.statements[i]));
  }
  return 0;
}
