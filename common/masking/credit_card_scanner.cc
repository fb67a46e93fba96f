// Payment card numbers (detectors.h states the accepted forms). The scanner reads "clusters":
// digit groups joined by single spaces or dashes. Any run of consecutive groups with one
// separator kind can be the card, so "2024-01-15 4111 1111 1111 1111" still finds the card
// after the date, and "4111 1111 1111 1111 2024" finds it before the year.
#include <cstddef>
#include <string_view>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "common/masking/char_class.h"
#include "common/masking/scanners.h"

namespace warden::masking::internal {
namespace {

constexpr size_t kMinDigits = 13;
constexpr size_t kMaxDigits = 19;
// Printed groupings use 3 to 7 digits a group (4-4-4-4, 4-6-5, 4-3-3-3, 4-4-4-4-3).
constexpr size_t kMinGroup = 3;
constexpr size_t kMaxGroup = 7;

struct Group {
  size_t begin;
  size_t end;
  char separator_after;  // ' ' or '-' joining it to the next group; unused for the last
  size_t size() const { return end - begin; }
};
using Cluster = absl::InlinedVector<Group, 8>;

// Luhn (ISO/IEC 7812-1 annex B) over the digits of groups[first..last], read right to left.
bool PassesLuhn(std::string_view text, const Cluster& groups, size_t first, size_t last) {
  unsigned sum = 0;
  bool doubled = false;
  for (size_t g = last + 1; g-- > first;) {
    for (size_t i = groups[g].end; i-- > groups[g].begin;) {
      unsigned d = static_cast<unsigned>(text[i] - '0');
      if (doubled) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
      doubled = !doubled;
    }
  }
  return sum % 10 == 0;
}

// ISO/IEC 7812 major industry identifiers in use by card schemes (see detectors.h).
bool IssuerPlausible(char first_digit, size_t digits) {
  if (first_digit == '0') return false;
  if (first_digit == '1') return digits == 15;
  if (digits == 13) return first_digit == '4' || first_digit == '5' || first_digit == '6';
  return true;
}

// The cluster must not continue a word or a decimal number on either side.
bool StandsAloneBefore(std::string_view text, size_t begin) {
  const char prev = Before(text, begin);
  return !IsLetter(prev) && !(prev == '.' && IsDigit(Before(text, begin, 2)));
}
bool StandsAloneAfter(std::string_view text, size_t end) {
  const char next = At(text, end);
  return !IsLetter(next) && !(next == '.' && IsDigit(At(text, end + 1)));
}

// Finds the longest card made of groups[s..last]; false when no run of groups starting at `s`
// is one. Longest, so that a 19-digit card is not cut short at a 16-digit Luhn-valid prefix.
bool LongestCardFrom(std::string_view text, const Cluster& groups, size_t s, size_t& last) {
  if (s == 0 && !StandsAloneBefore(text, groups[0].begin)) return false;
  const auto is_card = [&](size_t e, size_t digits) {
    if (digits < kMinDigits || digits > kMaxDigits) return false;
    if (e + 1 == groups.size() && !StandsAloneAfter(text, groups[e].end)) return false;
    return IssuerPlausible(text[groups[s].begin], digits) && PassesLuhn(text, groups, s, e);
  };
  if (groups[s].size() >= kMinDigits) {  // one contiguous run; never part of a grouped card
    last = s;
    return is_card(s, groups[s].size());
  }
  if (groups[s].size() < kMinGroup || groups[s].size() > kMaxGroup) return false;
  bool found = false;
  size_t digits = groups[s].size();
  for (size_t e = s + 1; e < groups.size(); ++e) {
    const Group& g = groups[e];
    if (g.size() < kMinGroup || g.size() > kMaxGroup) break;
    if (groups[e - 1].separator_after != groups[s].separator_after) break;
    digits += g.size();
    if (digits > kMaxDigits) break;
    if (is_card(e, digits)) {
      last = e;
      found = true;
    }
  }
  return found;
}

// Reads the cluster of groups starting at the digit `i`; returns where it ends.
size_t ReadCluster(std::string_view text, size_t i, Cluster& groups) {
  groups.clear();
  while (true) {
    const size_t end = i + DigitRun(text, i);
    const char sep = At(text, end);
    const bool joined = (sep == ' ' || sep == '-') && IsDigit(At(text, end + 1));
    groups.push_back(Group{i, end, joined ? sep : '\0'});
    if (!joined) return end;
    i = end + 1;
  }
}

}  // namespace

void ScanCreditCards(std::string_view text, std::vector<Span>& out) {
  Cluster groups;
  size_t i = 0;
  while (i < text.size()) {
    if (!IsDigit(text[i])) {
      ++i;
      continue;
    }
    i = ReadCluster(text, i, groups);
    for (size_t s = 0; s < groups.size(); ++s) {
      size_t last = s;
      if (LongestCardFrom(text, groups, s, last)) {
        out.push_back(Span{groups[s].begin, groups[last].end});
        s = last;
      }
    }
  }
}

}  // namespace warden::masking::internal
