// Masking strategies: what replaces a masked value (a whole column value, or a span a detector
// found inside a text value).
//
//  REDACT   the fixed text "****", whatever the length of what it replaces: a mask that grew
//           with the value would tell a 4-digit PIN from a 16-digit card, a short email from a
//           long one. It also cannot be mistaken for data by a reader or a detector.
//  PARTIAL  keeps the last `keep_last` characters and replaces every earlier character by one
//           '*' ("************1111"). Characters are UTF-8 code points: a multi-byte character
//           is kept or masked whole, never cut. A value with no more than `keep_last`
//           characters is masked entirely, so PARTIAL never returns a value unchanged. (Bytes
//           that are not valid UTF-8 are counted as characters of their own, leading byte by
//           leading byte; nothing crashes on them.) The length is revealed, which is the point
//           of this strategy (a card ends in 1111 and is 16 digits long).
//  HASH     ValueHasher::Hash of the value: 16 hex digits, equal for equal values under one key.
//  NULL     the value becomes SQL NULL (std::nullopt here). Inside a longer text the caller
//           cannot null a span, so the rule set nulls the whole value (rule_set.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/masking/value_hasher.h"
#include "warden/v1/policy.pb.h"

namespace warden::masking {

inline constexpr std::string_view kRedactedText = "****";

struct Strategy {
  warden::v1::MaskStrategy kind = warden::v1::MASK_STRATEGY_REDACT;
  uint32_t keep_last = 0;  // PARTIAL only
};

// The PARTIAL strategy on its own.
std::string MaskAllButLast(std::string_view value, uint32_t keep_last);

// Appends the replacement for `value` under `strategy` to `out`. `hasher` is required for
// HASH; without it, and for NULL (which has no text form), this fails closed and appends the
// REDACT text.
void AppendMasked(const Strategy& strategy, std::string_view value, const ValueHasher* hasher,
                  std::string& out);

// The replacement for a whole value; std::nullopt means SQL NULL.
std::optional<std::string> ApplyStrategy(const Strategy& strategy, std::string_view value,
                                         const ValueHasher* hasher);

}  // namespace warden::masking
