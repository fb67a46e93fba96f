// Email addresses (detectors.h states the accepted form). Anchored on '@' found with memchr,
// so text without '@' costs one pass. The local part is read backwards from the '@' and the
// domain forwards; both stop at the next '@', so the total work stays linear however many '@'
// a value holds.
//
// The accepted local-part characters are the ones addresses use in practice, not all of
// RFC 5322's atext: "!#$&'*/=?^`{|}~" also appear around addresses in prose and URLs, and
// absorbing them would widen spans over punctuation. Non-ASCII bytes are accepted on both
// sides for internationalised addresses (RFC 6531).
#include <cstddef>
#include <string_view>
#include <vector>

#include "common/masking/char_class.h"
#include "common/masking/scanners.h"

namespace warden::masking::internal {
namespace {

bool IsNonAscii(char c) { return static_cast<unsigned char>(c) >= 0x80; }

bool IsLocalChar(char c) {
  return IsAlnum(c) || IsNonAscii(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

bool IsDomainChar(char c) { return IsAlnum(c) || IsNonAscii(c) || c == '.' || c == '-'; }

// At least two non-empty labels; the top-level label has two or more characters and is not
// all digits ("a@1.2.3.4" is not an address, and "x@y.1" is a version or a typo).
bool IsPlausibleDomain(std::string_view domain) {
  const size_t last_dot = domain.rfind('.');
  if (last_dot == std::string_view::npos || domain.front() == '.') return false;
  const std::string_view top = domain.substr(last_dot + 1);
  if (top.size() < 2) return false;
  bool all_digits = true;
  for (const char c : top) all_digits = all_digits && IsDigit(c);
  return !all_digits;
}

}  // namespace

void ScanEmails(std::string_view text, std::vector<Span>& out) {
  size_t floor = 0;  // where the previous address ended: spans never overlap
  size_t pos = 0;
  while (true) {
    const size_t at = text.find('@', pos);
    if (at == std::string_view::npos) return;
    size_t begin = at;
    while (begin > floor && IsLocalChar(text[begin - 1])) --begin;
    while (begin < at && text[begin] == '.') ++begin;  // "...bob@": leading dots are prose
    size_t end = at + 1;
    // Stops at ".." too: no domain label is empty, so the address ends there.
    while (end < text.size() && IsDomainChar(text[end]) &&
           !(text[end] == '.' && At(text, end + 1) == '.')) {
      ++end;
    }
    // A sentence's full stop or a trailing dash is punctuation, not part of the domain.
    while (end > at + 1 && (text[end - 1] == '.' || text[end - 1] == '-')) --end;
    if (begin < at && end > at + 1 && IsPlausibleDomain(text.substr(at + 1, end - at - 1))) {
      out.push_back(Span{begin, end});
      floor = pos = end;
    } else {
      pos = at + 1;
    }
  }
}

}  // namespace warden::masking::internal
