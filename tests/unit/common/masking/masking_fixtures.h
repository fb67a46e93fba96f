// Shared helpers for the masking tests: what a detector finds, as the matched substrings.
#pragma once

#include <catch2/catch.hpp>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "common/masking/detectors.h"

namespace warden::masking::testing {

// The substrings `detector` finds in `text`. Also checks that the pre-filter never rules out a
// value the detector matches: a wrong TextProfile would silently leak.
inline std::vector<std::string> Found(warden::v1::Detector detector, std::string_view text) {
  std::vector<Span> spans;
  FindDetectorSpans(detector, text, spans);
  std::vector<std::string> out;
  for (const Span& s : spans) out.emplace_back(text.substr(s.begin, s.end - s.begin));
  if (!spans.empty()) CHECK(TextProfile(text).MayContain(detector));
  return out;
}

using Strings = std::vector<std::string>;

// Near-misses: `detector` finds nothing in any of `texts`.
inline void CheckNothingFound(warden::v1::Detector detector,
                              std::initializer_list<const char*> texts) {
  for (const char* text : texts) {
    INFO(text);
    CHECK(Found(detector, text).empty());
  }
}

}  // namespace warden::masking::testing
