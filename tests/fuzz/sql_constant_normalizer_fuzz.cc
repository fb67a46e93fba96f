// libFuzzer target for the classification cache key (common/sql/classify/constant_normalizer.h),
// with the real parser as the oracle: whenever a text gets a normalized key, the text and its key
// must classify alike (every statement's tag, commands, class, relations, functions, WHERE-less
// flag and opacity) and have the same column lineage (the cache shares both, statement_analysis.h).
// A difference would let one text be enforced, or masked, with another text's analysis. (pg_query's
// fingerprint may differ: it keeps integers that are not constants, e.g. FETCH's count; texts
// sharing a key share the first one's fingerprint.)
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/sql/classify/classifier.h"
#include "common/sql/classify/constant_normalizer.h"
#include "common/sql/lineage/column_lineage.h"

namespace {

bool SameStatement(const warden::sql::ClassifiedStatement& a,
                   const warden::sql::ClassifiedStatement& b) {
  return a.command_tag == b.command_tag && a.commands == b.commands &&
         a.statement_class == b.statement_class && a.relations_read == b.relations_read &&
         a.relations_written == b.relations_written && a.functions == b.functions &&
         a.without_where == b.without_where && a.opaque == b.opaque;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view sql(reinterpret_cast<const char*>(data), size > 2048 ? 2048 : size);
  if (size_t nul = sql.find('\0'); nul != std::string_view::npos) sql = sql.substr(0, nul);
  auto key = warden::sql::NormalizeConstants(sql);
  if (!key) return 0;
  if (warden::sql::NormalizeConstants(*key) != key) __builtin_trap();  // idempotent
  const auto original = warden::sql::Classify(sql);
  if (!original.parsed) return 0;  // unparsed texts are cached by their exact text only
  const auto normalized = warden::sql::Classify(*key);
  if (!normalized.parsed) __builtin_trap();
  if (original.statements.size() != normalized.statements.size()) __builtin_trap();
  for (size_t i = 0; i < original.statements.size(); ++i) {
    if (!SameStatement(original.statements[i], normalized.statements[i])) __builtin_trap();
  }
  const auto lineage = warden::sql::AnalyzeLineage(sql);
  const auto key_lineage = warden::sql::AnalyzeLineage(*key);
  if (lineage.parsed != key_lineage.parsed) __builtin_trap();
  if (lineage.statements.size() != key_lineage.statements.size()) __builtin_trap();
  for (size_t i = 0; i < lineage.statements.size(); ++i) {
    const auto& a = lineage.statements[i];
    const auto& b = key_lineage.statements[i];
    if (warden::sql::DescribeLineage(a) != warden::sql::DescribeLineage(b) ||
        a.returns_rows != b.returns_rows || a.opaque != b.opaque || a.cursor != b.cursor ||
        a.copy_format != b.copy_format || a.copy_header != b.copy_header ||
        a.prepared != b.prepared || a.outputs.size() != b.outputs.size()) {
      __builtin_trap();
    }
  }
  return 0;
}
