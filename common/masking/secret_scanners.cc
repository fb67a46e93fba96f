// Credentials that leak into data: JSON Web Tokens, AWS access key ids and PEM private-key
// blocks (detectors.h states the accepted forms). Each is anchored on a fixed literal found
// with a substring search, so text without the literal costs one memchr-speed pass.
#include <cstddef>
#include <string_view>
#include <vector>

#include "common/masking/char_class.h"
#include "common/masking/scanners.h"

namespace warden::masking::internal {
namespace {

// base64url (RFC 4648 section 5), plus '=' which some JWT libraries leave as padding.
bool IsBase64Url(char c) { return IsAlnum(c) || c == '-' || c == '_' || c == '='; }

size_t Base64UrlEnd(std::string_view text, size_t i) {
  while (i < text.size() && IsBase64Url(text[i])) ++i;
  return i;
}

// "eyJ" is base64 of '{"', the start of every JSON object header (RFC 7519 section 3). The
// shortest real header, {"alg":"none"}, encodes to 19 characters; 10 leaves room while keeping
// a stray "eyJ" in prose out.
constexpr std::string_view kJwtHeaderStart = "eyJ";
constexpr size_t kMinJwtHeader = 10;
// JWS compact form has 3 segments, JWE 5 (RFC 7516 section 7.1).
constexpr int kMaxJwtDots = 4;

// AWS access key ids: 4-character prefix + 16 of [A-Z0-9]
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids).
constexpr size_t kAwsKeyLength = 20;

// RFC 7468 section 2: "-----BEGIN label-----"; labels are short upper-case words.
constexpr std::string_view kPemBegin = "-----BEGIN ";
constexpr std::string_view kPemEnd = "-----END ";
constexpr std::string_view kPemDashes = "-----";
constexpr std::string_view kPrivateKey = "PRIVATE KEY";
constexpr size_t kMaxPemLabel = 64;

bool IsPemLabel(std::string_view label) {
  for (const char c : label) {
    if (!IsUpper(c) && !IsDigit(c) && c != ' ') return false;
  }
  return label.find(kPrivateKey) != std::string_view::npos;
}

// The end of the "-----END label-----" line closing a block, or the end of the text when the
// block is cut off.
size_t PemBlockEnd(std::string_view text, size_t from, std::string_view label) {
  while (true) {
    const size_t e = text.find(kPemEnd, from);
    if (e == std::string_view::npos) return text.size();
    const size_t label_at = e + kPemEnd.size();
    if (text.substr(label_at, label.size()) == label &&
        text.substr(label_at + label.size(), kPemDashes.size()) == kPemDashes) {
      return label_at + label.size() + kPemDashes.size();
    }
    from = e + 1;
  }
}

}  // namespace

void ScanJwts(std::string_view text, std::vector<Span>& out) {
  size_t pos = 0;
  while (true) {
    const size_t p = text.find(kJwtHeaderStart, pos);
    if (p == std::string_view::npos) return;
    size_t q = Base64UrlEnd(text, p);
    pos = q;
    if (IsBase64Url(Before(text, p)) || q - p < kMinJwtHeader) continue;
    int dots = 0;
    while (At(text, q) == '.' && dots < kMaxJwtDots) {
      q = Base64UrlEnd(text, q + 1);
      ++dots;
    }
    if (dots < 2) continue;
    // Full stops after a complete token are prose, not empty extra segments.
    for (; dots > 2 && text[q - 1] == '.'; --dots) --q;
    out.push_back(Span{p, q});
    pos = q;
  }
}

void ScanAwsAccessKeys(std::string_view text, std::vector<Span>& out) {
  size_t pos = 0;
  while (true) {
    const size_t p = text.find('A', pos);
    if (p == std::string_view::npos) return;
    pos = p + 1;
    const char second = At(text, p + 1);
    if ((second != 'K' && second != 'S') || At(text, p + 2) != 'I' || At(text, p + 3) != 'A' ||
        IsAlnum(Before(text, p))) {
      continue;
    }
    size_t q = p + 4;
    while (q < p + kAwsKeyLength && (IsUpper(At(text, q)) || IsDigit(At(text, q)))) ++q;
    if (q != p + kAwsKeyLength || IsAlnum(At(text, q))) continue;
    out.push_back(Span{p, q});
    pos = q;
  }
}

void ScanPrivateKeys(std::string_view text, std::vector<Span>& out) {
  size_t pos = 0;
  while (true) {
    const size_t p = text.find(kPemBegin, pos);
    if (p == std::string_view::npos) return;
    pos = p + 1;
    const size_t label_at = p + kPemBegin.size();
    // Look for the closing dashes only within a label's reach, so that many unterminated
    // "-----BEGIN " lines cost linear time.
    const size_t label_size =
        text.substr(label_at, kMaxPemLabel + kPemDashes.size()).find(kPemDashes);
    if (label_size == std::string_view::npos) continue;
    const std::string_view label = text.substr(label_at, label_size);
    if (!IsPemLabel(label)) continue;
    const size_t end = PemBlockEnd(text, label_at + label_size + kPemDashes.size(), label);
    out.push_back(Span{p, end});
    pos = end;
  }
}

}  // namespace warden::masking::internal
