#include "common/masking/column_glob.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/policy/glob.h"

namespace warden::masking {

std::string FoldIdentifier(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

absl::StatusOr<ColumnGlob> ColumnGlob::Parse(std::string_view pattern) {
  const std::string lower = FoldIdentifier(pattern);
  const std::vector<std::string> parts = absl::StrSplit(lower, '.');
  bool ok = parts.size() == 2 || parts.size() == 3;
  for (const std::string& part : parts) ok = ok && !part.empty();
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid column pattern \"", lower,
                     "\" (expected table.column, schema.table.column or *.column)"));
  }
  ColumnGlob glob;
  glob.has_schema_ = parts.size() == 3;
  if (glob.has_schema_) glob.schema_ = parts[0];
  glob.table_ = parts[parts.size() - 2];
  glob.column_ = parts[parts.size() - 1];
  return glob;
}

bool ColumnGlob::Matches(std::string_view schema, std::string_view table,
                         std::string_view column) const {
  using warden::policy::GlobMatch;
  if (!GlobMatch(column_, column) || !GlobMatch(table_, table)) return false;
  return !has_schema_ || schema.empty() || GlobMatch(schema_, schema);
}

}  // namespace warden::masking
