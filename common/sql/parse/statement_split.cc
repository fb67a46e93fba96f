#include "common/sql/parse/statement_split.h"

#include <pg_query.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "pg_query/pg_query.pb.h"

namespace warden::sql {

namespace {

void Add(absl::string_view piece, std::vector<std::string>* out) {
  std::string one(absl::StripAsciiWhitespace(piece));
  if (!one.empty()) out->push_back(std::move(one));
}

// The parser's split: exact, but only for a text that parses.
absl::StatusOr<std::vector<std::string>> SplitByParser(const std::string& text) {
  PgQuerySplitResult r = pg_query_split_with_parser(text.c_str());
  if (r.error) {
    std::string message = r.error->message ? r.error->message : "cannot split the text";
    pg_query_free_split_result(r);
    return absl::InvalidArgumentError(message);
  }
  std::vector<std::string> out;
  for (int i = 0; i < r.n_stmts; ++i) {
    const PgQuerySplitStmt* s = r.stmts[i];
    if (s->stmt_location < 0 || s->stmt_len < 0 ||
        static_cast<size_t>(s->stmt_location) + static_cast<size_t>(s->stmt_len) > text.size()) {
      continue;
    }
    Add(absl::string_view(text).substr(s->stmt_location, s->stmt_len), &out);
  }
  pg_query_free_split_result(r);
  return out;
}

// At the semicolons the scanner sees (not those in strings, quoted names or comments): for a
// text with a statement the parser rejects. (libpg_query's own scanner split drops the first
// statement of such a text.)
absl::StatusOr<std::vector<std::string>> SplitByScanner(const std::string& text) {
  PgQueryScanResult r = pg_query_scan(text.c_str());
  pg_query::ScanResult scan;
  const bool ok = !r.error && scan.ParseFromArray(r.pbuf.data, static_cast<int>(r.pbuf.len));
  std::string message = r.error && r.error->message ? r.error->message : "cannot scan the text";
  pg_query_free_scan_result(r);
  if (!ok) return absl::InvalidArgumentError(message);
  std::vector<std::string> out;
  size_t from = 0;
  for (const pg_query::ScanToken& t : scan.tokens()) {
    if (t.token() != pg_query::ASCII_59 || t.start() < 0 || static_cast<size_t>(t.start()) < from ||
        static_cast<size_t>(t.start()) > text.size()) {
      continue;
    }
    Add(absl::string_view(text).substr(from, t.start() - from), &out);
    from = static_cast<size_t>(t.start()) + 1;
  }
  if (from < text.size()) Add(absl::string_view(text).substr(from), &out);
  return out;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> SplitStatements(const std::string& text) {
  auto parsed = SplitByParser(text);
  if (parsed.ok()) return parsed;
  auto scanned = SplitByScanner(text);
  if (scanned.ok()) return scanned;
  // Not even scannable (an unterminated string): one statement, which the parser will reject.
  std::vector<std::string> whole;
  Add(text, &whole);
  return whole;
}

}  // namespace warden::sql
