// Phone numbers: international E.164 form and the common North American layouts (detectors.h
// states the accepted forms). A phone number needs structure a plain integer lacks, a leading
// '+' or the 3-3-4 grouping, so ids, amounts, dates and card numbers are not phones.
//
// E.164 numbers have at most 15 digits and country codes never start with 0
// (ITU-T E.164 section 6). NANP area codes start with 2-9 (the NANPA's NXX rule).
#include <cstddef>
#include <string_view>
#include <vector>

#include "common/masking/char_class.h"
#include "common/masking/scanners.h"

namespace warden::masking::internal {
namespace {

constexpr size_t kMinE164Digits = 8;
constexpr size_t kMaxE164Digits = 15;

bool IsPhoneSeparator(char c) { return c == ' ' || c == '-' || c == '.'; }

// The end of the E.164 number whose '+' is at `p`, or 0. Reads digit runs and "(digits)"
// groups joined by at most one separator; the number is the longest prefix of whole groups
// with 8-15 digits, so "+44 20 7946 0958 ext" stops before "ext".
size_t E164End(std::string_view text, size_t p) {
  if (IsAlnum(Before(text, p))) return 0;  // "1e+10", "x+44..."
  size_t q = p + 1;
  if (!IsDigit(At(text, q)) || At(text, q) == '0') return 0;
  size_t digits = 0;
  size_t best = 0;
  while (true) {
    if (IsDigit(At(text, q))) {
      const size_t run = DigitRun(text, q);
      digits += run;
      q += run;
    } else if (At(text, q) == '(' && IsDigit(At(text, q + 1))) {
      const size_t run = DigitRun(text, q + 1);
      if (At(text, q + 1 + run) != ')') break;
      digits += run;
      q += run + 2;
    } else {
      break;
    }
    if (digits > kMaxE164Digits) break;
    if (digits >= kMinE164Digits) best = q;
    const char next = At(text, q);
    if (IsPhoneSeparator(next) && (IsDigit(At(text, q + 1)) || At(text, q + 1) == '(')) ++q;
  }
  return best;
}

// The end of the North American number starting at `p`, or 0.
size_t NanpEnd(std::string_view text, size_t p) {
  size_t q = p;
  // Optional trunk prefix: "1-555-123-4567", "1 (555) 123-4567".
  if (At(text, q) == '1' && IsPhoneSeparator(At(text, q + 1))) q += 2;
  const char area_first = At(text, q) == '(' ? At(text, q + 1) : At(text, q);
  if (area_first < '2' || area_first > '9') return 0;
  if (At(text, q) == '(') {  // "(555) 123-4567", "(555)123-4567"
    if (DigitRun(text, q + 1) != 3 || At(text, q + 4) != ')') return 0;
    q += 5;
    if (At(text, q) == ' ') ++q;
    if (DigitRun(text, q) != 3 || !IsPhoneSeparator(At(text, q + 3))) return 0;
    q += 4;
  } else {  // "555-123-4567", "555.123.4567", "555 123 4567": one separator kind
    const char sep = At(text, q + 3);
    if (DigitRun(text, q) != 3 || !IsPhoneSeparator(sep)) return 0;
    if (DigitRun(text, q + 4) != 3 || At(text, q + 7) != sep) return 0;
    q += 8;
  }
  if (DigitRun(text, q) != 4) return 0;
  q += 4;
  return NumberEndsAt(text, q) ? q : 0;
}

}  // namespace

void ScanPhones(std::string_view text, std::vector<Span>& out) {
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    size_t end = 0;
    if (c == '+') {
      end = E164End(text, i);
    } else if ((IsDigit(c) || c == '(') && Before(text, i) != '+' && NumberStartsAt(text, i)) {
      end = NanpEnd(text, i);
    }
    if (end != 0) {
      out.push_back(Span{i, end});
      i = end;
    } else {
      i += IsDigit(c) ? DigitRun(text, i) : 1;
    }
  }
}

}  // namespace warden::masking::internal
