// International Bank Account Numbers (ISO 13616; detectors.h states the accepted forms).
// Validation is the standard's own: move the first four characters to the end, read letters
// as 10..35, and the number must be 1 mod 97. Check digits 00, 01 and 99 are never produced by
// that scheme.
#include <cstddef>
#include <string_view>
#include <vector>

#include "common/masking/char_class.h"
#include "common/masking/scanners.h"

namespace warden::masking::internal {
namespace {

constexpr size_t kMinLength = 15;  // Norway
constexpr size_t kMaxLength = 34;  // the standard's upper bound
constexpr size_t kPrefix = 4;      // country code + check digits
constexpr size_t kGroup = 4;       // the printed form's group size

size_t AlnumRun(std::string_view text, size_t i) {
  size_t j = i;
  while (j < text.size() && IsAlnum(text[j])) ++j;
  return j - i;
}

// ISO 13616 check over the compact IBAN in `iban` (any letter case).
bool PassesMod97(std::string_view iban) {
  unsigned r = 0;
  const auto feed = [&r](char c) {
    if (IsDigit(c)) {
      r = (r * 10 + static_cast<unsigned>(c - '0')) % 97;
    } else {
      const char upper = IsUpper(c) ? c : static_cast<char>(c - 'a' + 'A');
      r = (r * 100 + static_cast<unsigned>(upper - 'A' + 10)) % 97;
    }
  };
  for (size_t i = kPrefix; i < iban.size(); ++i) feed(iban[i]);
  for (size_t i = 0; i < kPrefix; ++i) feed(iban[i]);
  return r == 1;
}

// The end of the IBAN starting at `i` (which holds two letters and two check digits), or 0.
size_t IbanEnd(std::string_view text, size_t i) {
  const size_t run = AlnumRun(text, i);
  if (run >= kMinLength) {  // compact: the whole alphanumeric token or nothing
    return run <= kMaxLength && PassesMod97(text.substr(i, run)) ? i + run : 0;
  }
  if (run != kPrefix || At(text, i + kPrefix) != ' ') return 0;
  // Printed: groups of four split by single spaces, the last group possibly shorter. The
  // longest valid prefix of groups wins, so a following word ("... 1332 from") is not taken
  // in and does not hide the IBAN before it.
  char compact[kMaxLength];
  size_t length = 0;
  for (size_t k = 0; k < kPrefix; ++k) compact[length++] = text[i + k];
  size_t q = i + kPrefix;
  size_t best = 0;
  while (At(text, q) == ' ' && IsAlnum(At(text, q + 1))) {
    const size_t group = AlnumRun(text, q + 1);
    if (group > kGroup || length + group > kMaxLength) break;
    for (size_t k = 0; k < group; ++k) compact[length++] = text[q + 1 + k];
    q += 1 + group;
    if (length >= kMinLength && PassesMod97(std::string_view(compact, length))) best = q;
    if (group < kGroup) break;
  }
  return best;
}

// Two letters and two check digits at `i`, which starts an alphanumeric run.
bool StartsIban(std::string_view text, size_t i) {
  if (!IsLetter(text[i]) || !IsLetter(At(text, i + 1))) return false;
  const char d1 = At(text, i + 2);
  const char d2 = At(text, i + 3);
  if (!IsDigit(d1) || !IsDigit(d2)) return false;
  const int check = (d1 - '0') * 10 + (d2 - '0');
  return check >= 2 && check <= 98;
}

}  // namespace

void ScanIbans(std::string_view text, std::vector<Span>& out) {
  size_t i = 0;
  while (i < text.size()) {
    if (!IsAlnum(text[i])) {
      ++i;
      continue;
    }
    // An IBAN starts an alphanumeric run, so the rest of a run that does not is skipped whole.
    const size_t end = StartsIban(text, i) ? IbanEnd(text, i) : 0;
    if (end != 0) {
      out.push_back(Span{i, end});
      i = end;
    } else {
      i += AlnumRun(text, i);
    }
  }
}

}  // namespace warden::masking::internal
