// Column globs of masking rules: "table.column", "schema.table.column" or "*.column", each part
// a glob in common/policy/glob.h syntax ('*' any run, '?' one character), matched part by part
// so that '*' never spans a dot.
//
//  - "table.column" matches that table in every schema: a rule written for customers.ssn must
//    not be dodged through another schema on the search path.
//  - An empty schema means "not known" and matches every schema glob (masking fails closed).
//    An empty table means the value has no source table (a computed column): only a table glob
//    that matches the empty string ("*") matches it.
//  - Patterns and names are compared in lower case, as PostgreSQL folds unquoted identifiers;
//    a quoted mixed-case identifier ("CardNumber") is therefore matched by "*.cardnumber".
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace warden::masking {

// `name` in lower case (ASCII only, as PostgreSQL folds unquoted identifiers).
std::string FoldIdentifier(std::string_view name);

class ColumnGlob {
 public:
  // InvalidArgument unless `pattern` has two or three non-empty dot-separated parts.
  [[nodiscard]] static absl::StatusOr<ColumnGlob> Parse(std::string_view pattern);

  // The names must already be folded (RuleSet::ColumnRule folds them once for all globs).
  bool Matches(std::string_view schema, std::string_view table, std::string_view column) const;

 private:
  ColumnGlob() = default;

  bool has_schema_ = false;
  std::string schema_;
  std::string table_;
  std::string column_;
};

}  // namespace warden::masking
