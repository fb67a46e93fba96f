// One statement text, analysed once: its classification (policy) and its column lineage
// (masking) from a single libpg_query parse, with a fingerprint of the parse tree. The agent's
// data path gets these through the shared ClassifierCache (classifier_cache.h), so a text is
// parsed once however many parts of the session look at it; ParseCount() proves it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/sql/classify/classified_statement.h"
#include "common/sql/lineage/column_lineage.h"
#include "common/sql/parse/parse_limits.h"

namespace warden::sql {

struct StatementAnalysis {
  ClassifiedBatch classified;  // as Classify(text) without session prepared statements
  LineageResult lineage;       // as AnalyzeLineage(text)
};

// Never throws. Texts the parser rejects, over kMaxStatementBytes, or with a NUL, yield
// parsed = false in both parts (with the reason). Long texts run on a helper thread whose stack
// is sized for them (large_stack.h).
StatementAnalysis AnalyzeStatement(std::string_view sql);

}  // namespace warden::sql
