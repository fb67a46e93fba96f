// US Social Security numbers in their printed form AAA-GG-SSSS (detectors.h explains why the
// unseparated form is left to column rules). The invalid ranges are the SSA's: area 000, 666
// and 900-999, group 00 and serial 0000 are never issued
// (https://www.ssa.gov/employer/randomization.html;
// https://secure.ssa.gov/poms.nsf/lnx/0110201035).
#include <cstddef>
#include <string_view>
#include <vector>

#include "common/masking/char_class.h"
#include "common/masking/scanners.h"

namespace warden::masking::internal {
namespace {

constexpr size_t kSsnLength = 11;  // "AAA-GG-SSSS"

int Number(std::string_view digits) {
  int n = 0;
  for (const char c : digits) n = n * 10 + (c - '0');
  return n;
}

// Shape and issuance rules for the 11 bytes at `i`.
bool IsSsnAt(std::string_view text, size_t i) {
  const char sep = At(text, i + 3);
  if (sep != '-' && sep != ' ') return false;
  if (DigitRun(text, i) != 3 || DigitRun(text, i + 4) != 2 || At(text, i + 6) != sep ||
      DigitRun(text, i + 7) != 4) {
    return false;
  }
  const int area = Number(text.substr(i, 3));
  const int group = Number(text.substr(i + 4, 2));
  const int serial = Number(text.substr(i + 7, 4));
  return area != 0 && area != 666 && area < 900 && group != 0 && serial != 0;
}

}  // namespace

void ScanUsSsns(std::string_view text, std::vector<Span>& out) {
  size_t i = 0;
  while (i < text.size()) {
    if (!IsDigit(text[i])) {
      ++i;
      continue;
    }
    if (NumberStartsAt(text, i) && IsSsnAt(text, i) && NumberEndsAt(text, i + kSsnLength)) {
      out.push_back(Span{i, i + kSsnLength});
      i += kSsnLength;
    } else {
      i += DigitRun(text, i);
    }
  }
}

}  // namespace warden::masking::internal
