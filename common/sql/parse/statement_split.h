// Splits a text into its statements, as PostgreSQL's parser sees them (libpg_query's
// parser-based split: semicolons inside strings, dollar quotes, comments and CREATE RULE bodies
// do not split). For tools that show one statement at a time; the data path decides a Query
// message whole.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace warden::sql {

// The statements' texts, trimmed, without their semicolons; empty ones (";;") are dropped. When
// the parser rejects the text, it is split by the scanner instead (so one bad statement does not
// hide the others); an error only for a text neither can split.
[[nodiscard]] absl::StatusOr<std::vector<std::string>> SplitStatements(const std::string& text);

}  // namespace warden::sql
