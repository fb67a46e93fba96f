// Shared body-parsing helpers for format codes and value lists (both directions).
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/pgwire/reader.h"
#include "common/util/status_macros.h"

namespace warden::pgwire {

// A format code is 0 (text) or 1 (binary); nothing else is defined.
// https://www.postgresql.org/docs/15/protocol-overview.html#PROTOCOL-FORMAT-CODES
[[nodiscard]] inline absl::Status ReadFormatCode(BodyReader& r, int16_t* code) {
  RETURN_IF_ERROR(r.ReadInt16(code));
  if (*code != 0 && *code != 1) return r.Error(absl::StrCat("has invalid format code ", *code));
  return absl::OkStatus();
}

// Int16 count then that many format codes.
[[nodiscard]] inline absl::Status ReadFormatCodes(BodyReader& r, std::string_view what,
                                                  std::vector<int16_t>* codes) {
  size_t n = 0;
  RETURN_IF_ERROR(r.ReadCount16(what, 2, &n));
  codes->resize(n);
  for (size_t i = 0; i < n; ++i) RETURN_IF_ERROR(ReadFormatCode(r, &(*codes)[i]));
  return absl::OkStatus();
}

// Int16 count then that many (Int32 length, bytes) values with -1 for NULL.
[[nodiscard]] inline absl::Status ReadValues(BodyReader& r, std::string_view what,
                                             std::vector<std::optional<std::string_view>>* vals) {
  size_t n = 0;
  RETURN_IF_ERROR(r.ReadCount16(what, 4, &n));
  vals->resize(n);
  for (size_t i = 0; i < n; ++i) RETURN_IF_ERROR(r.ReadNullableBytes(&(*vals)[i]));
  return absl::OkStatus();
}

}  // namespace warden::pgwire
