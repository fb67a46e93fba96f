// One COPY OUT row of the default text or CSV format with some of its fields replaced, for
// masking COPY ... TO STDOUT by column. Pure.
// https://www.postgresql.org/docs/15/sql-copy.html (File Formats). The server sends one row per
// CopyData message, ended by a newline; text fields are tab separated with backslash escapes
// and \N for NULL; CSV fields are comma separated, quoted with '"' (doubled inside) when they
// need it, and an unquoted empty field is NULL. Fields that are not replaced are copied byte
// for byte, so a row costs one pass and, when nothing in it is masked, no allocation.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"

namespace warden::agent {

// Appends the new value of field `i`, given its value (unescaped / unquoted), to *out; false
// (with nothing appended) writes NULL.
using CopyFieldMask = absl::FunctionRef<bool(size_t, std::string_view, std::string*)>;

// Appends `row` (with its trailing newline) to *out with every non-NULL field i for which
// `masked[i]` is true replaced by what mask(i, value, out) appends, escaped or quoted as the
// server would. False (and what was appended to *out unspecified) when the row is not
// well-formed or has not masked.size() fields.
bool RewriteCopyRow(std::string_view row, bool csv, const std::vector<bool>& masked,
                    CopyFieldMask mask, std::string* out);

}  // namespace warden::agent
