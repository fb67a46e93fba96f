// Test and fuzz support (no Catch2 dependency): checks the framing contract of a decoder against
// one encoded message, feeding it split at every byte. Returns "" when every check holds, else a
// description of the first failure.
#pragma once

#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"

namespace warden::pgwire::testing {

// `decode(bytes)` returns a DecodeResult<V>. Checks that:
//  - every strict prefix of `encoded` (including the empty one) is NeedMore, not an error;
//  - `encoded` alone decodes to `expected`, consuming all of it;
//  - `encoded` followed by `next` stops at the boundary, and `next` then decodes by itself.
template <typename Decode, typename V>
std::string CheckEveryByteSplit(Decode decode, std::string_view encoded, const V& expected,
                                std::string_view next) {
  for (size_t cut = 0; cut < encoded.size(); ++cut) {
    auto r = decode(encoded.substr(0, cut));
    if (!r.need_more()) {
      return absl::StrCat("prefix of ", cut, "/", encoded.size(),
                          " bytes did not give NeedMore: ", r.status().ToString());
    }
  }
  auto whole = decode(encoded);
  if (!whole.has_message()) return absl::StrCat("whole message: ", whole.status().ToString());
  if (whole.consumed() != encoded.size()) {
    return absl::StrCat("consumed ", whole.consumed(), " of ", encoded.size());
  }
  if (!(whole.message() == expected)) return "decoded message differs from the expected one";
  std::string joined = absl::StrCat(absl::string_view(encoded.data(), encoded.size()),
                                    absl::string_view(next.data(), next.size()));
  auto first = decode(joined);
  if (!first.has_message() || first.consumed() != encoded.size() ||
      !(first.message() == expected)) {
    return "with a following message, decoding did not stop at the boundary";
  }
  if (next.empty()) return "";
  auto second = decode(std::string_view(joined).substr(first.consumed()));
  if (!second.has_message() || second.consumed() != next.size()) {
    return absl::StrCat("the following message did not decode: ", second.status().ToString());
  }
  return "";
}

}  // namespace warden::pgwire::testing
