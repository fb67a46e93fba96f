#include "common/sql/statement_analysis.h"

#include <google/protobuf/arena.h>

#include "common/sql/classify/classifier.h"
#include "common/sql/lineage/column_lineage.h"
#include "common/sql/parse/large_stack.h"
#include "common/sql/parse/parse_tree.h"

namespace warden::sql {

namespace {

constexpr size_t kArenaBlockBytes = 8192;

void AnalyzeText(const std::string& text, StatementAnalysis* out) {
  alignas(16) char block[kArenaBlockBytes];
  google::protobuf::Arena arena(block, sizeof block);
  std::string error;
  const pg_query::ParseResult* tree = ParseTree(text, &arena, &error);
  if (tree == nullptr) {
    out->classified.parse_error = error;
    out->lineage.error = std::move(error);
    return;
  }
  internal::ClassifyTree(*tree, &out->classified);
  out->lineage = internal::LineageOfTree(*tree, text.size());
}

}  // namespace

StatementAnalysis AnalyzeStatement(std::string_view sql) {
  StatementAnalysis out;
  if (std::string problem = internal::RejectText(sql); !problem.empty()) {
    out.classified.parse_error = problem;
    out.lineage.error = std::move(problem);
    return out;
  }
  const std::string text(sql);  // libpg_query takes a C string
  if (text.size() <= internal::kInlineTextBytes) {
    AnalyzeText(text, &out);
    return out;
  }
  if (!RunOnLargeStack(internal::HelperStackBytes(text.size()), [&] { AnalyzeText(text, &out); })) {
    out = StatementAnalysis{};
    out.classified.parse_error = "no thread available to parse a long statement";
    out.lineage.error = out.classified.parse_error;
  }
  return out;
}
}  // namespace warden::sql
