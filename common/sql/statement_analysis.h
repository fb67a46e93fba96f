// One statement text, analysed once: its classification (policy) and its column lineage
// (masking) from a single libpg_query parse, with a fingerprint of the parse tree. The agent's
// data path gets these through the shared ClassifierCache (classifier_cache.h), so a text is
// parsed once however many parts of the session look at it; ParseCount() proves it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/sql/classified_statement.h"
#include "common/sql/column_lineage.h"

namespace pg_query {
class ParseResult;
}

namespace warden::sql {

struct StatementAnalysis {
  ClassifiedBatch classified;  // as Classify(text) without session prepared statements
  LineageResult lineage;       // as AnalyzeLineage(text)
};

// Never throws. Texts the parser rejects, over kMaxStatementBytes, or with a NUL, yield
// parsed = false in both parts (with the reason). Long texts run on a helper thread whose stack
// is sized for them (large_stack.h).
StatementAnalysis AnalyzeStatement(std::string_view sql);

// libpg_query parses run by this process so far (ParseTree calls).
uint64_t ParseCount();

namespace internal {

// The pieces AnalyzeStatement, Classify and AnalyzeLineage build from one parse tree.
// Why `sql` cannot be handed to the parser, or "" when it can.
std::string RejectText(std::string_view sql);
// Stack for analysing a text of `text_bytes` off the caller's stack, and the size up to which
// the caller's own stack will do.
inline constexpr size_t kInlineTextBytes = 4096;
size_t HelperStackBytes(size_t text_bytes);
void ClassifyTree(const pg_query::ParseResult& tree, ClassifiedBatch* out);
LineageResult LineageOfTree(const pg_query::ParseResult& tree, size_t text_bytes);
// A hash of the tree's shape and names, without constants or positions: texts that differ only
// in literals, white space, comments or keyword case share it. Stable across processes.
uint64_t TreeFingerprint(const pg_query::ParseResult& tree);

}  // namespace internal

}  // namespace warden::sql
