// Well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF), as
// protobuf's string fields demand it and terminals expect it. A client's text may be in any
// encoding; what goes into a proto string or a terminal passes through here first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace warden {

// The length of the well-formed UTF-8 sequence at text[i] (1 for ASCII) and its code point,
// or 0 when the bytes there are not one.
size_t DecodeUtf8(absl::string_view text, size_t i, uint32_t* cp);

// `text` with every byte that is not part of a well-formed sequence replaced by '?'.
std::string ValidUtf8(absl::string_view text);

// The longest prefix of `text` of at most `max` bytes that does not cut a character.
absl::string_view Utf8Prefix(absl::string_view text, size_t max);

}  // namespace warden
