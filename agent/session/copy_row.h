// One COPY OUT row of the default text or CSV format, split into its fields and rebuilt with
// some of them replaced, for masking COPY ... TO STDOUT by column (issue 5). Pure.
// https://www.postgresql.org/docs/15/sql-copy.html (File Formats). The server sends one row per
// CopyData message, ended by a newline; text fields are tab separated with backslash escapes
// and \N for NULL; CSV fields are comma separated, quoted with '"' (doubled inside) when they
// need it, and an unquoted empty field is NULL.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace warden::agent {

// A field's value, unescaped (nullopt: NULL).
using CopyField = std::optional<std::string>;

// Splits `row` (with its trailing newline). False when it is not a well-formed row.
bool SplitCopyRow(std::string_view row, bool csv, std::vector<CopyField>* fields);

// Joins fields back into a row of the same format, escaping or quoting each as the server
// would, with the trailing newline.
std::string JoinCopyRow(const std::vector<CopyField>& fields, bool csv);

}  // namespace warden::agent
