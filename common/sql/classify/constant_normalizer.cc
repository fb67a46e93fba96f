#include "common/sql/classify/constant_normalizer.h"

#include <array>
#include <cstdint>

namespace warden::sql {

namespace {

// What each byte is to the scan, looked up once per byte: the key is built for every statement
// the agent sees, so the loops below test a table entry instead of a chain of comparisons.
enum ByteClass : uint8_t {
  // Continues an identifier or keyword in PostgreSQL's lexer (ident_cont: letters, digits, '_',
  // '$' and every byte >= 0x80).
  kIdent = 1,
  kDigit = 2,
  // The scan must look at it; every other byte is copied as it is (a digit only when it
  // continues an identifier).
  kSpecial = 4,
  // May start a word whose texts are keyed exactly (MentionsExactKeyWord).
  kKeyStart = 8,
};

constexpr std::array<uint8_t, 256> MakeByteClasses() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool digit = c >= '0' && c <= '9';
    if (letter || digit || c == '_' || c == '$' || c >= 0x80) t[c] |= kIdent;
    if (digit) t[c] |= kDigit;
    if (digit || c == '\\' || c == '-' || c == '/' || c == '$' || c == '&' || c == '"' ||
        c == '\'') {
      t[c] |= kSpecial;
    }
    if ((c | 0x20) == 'e' || (c | 0x20) == 'c' || (c | 0x20) == 'u') t[c] |= kKeyStart;
  }
  return t;
}

constexpr std::array<uint8_t, 256> kByteClasses = MakeByteClasses();

bool Is(char c, ByteClass what) {
  return (kByteClasses[static_cast<unsigned char>(c)] & what) != 0;
}

bool IdentChar(char c) { return Is(c, kIdent); }

bool Digit(char c) { return Is(c, kDigit); }

// What may stand right after a constant for it to be one whole token: not an identifier
// character (123abc), not '.', 'e' (1.5, 1e3: left alone), not a quote.
bool EndsConstant(std::string_view sql, size_t i) {
  if (i >= sql.size()) return true;
  const char c = sql[i];
  return !IdentChar(c) && c != '.' && c != '\'' && c != '"';
}

// Whether `word` (lower-case ASCII) starts at sql[i], in any case.
bool WordAt(std::string_view sql, size_t i, std::string_view word) {
  if (sql.size() - i < word.size()) return false;
  for (size_t k = 0; k < word.size(); ++k) {
    if ((static_cast<unsigned char>(sql[i + k]) | 0x20) != word[k]) return false;
  }
  return true;
}

// Case-insensitive search, in one pass, for the words whose texts are keyed exactly (see
// below), anywhere, even inside identifiers or strings.
bool MentionsExactKeyWord(std::string_view sql) {
  for (size_t i = 0; i < sql.size(); ++i) {
    if (!Is(sql[i], kKeyStart)) continue;
    switch (static_cast<unsigned char>(sql[i]) | 0x20) {
      case 'e':
        if (WordAt(sql, i, "explain")) return true;
        break;
      case 'c':
        if (WordAt(sql, i, "copy")) return true;
        break;
      case 'u':
        if (WordAt(sql, i, "uescape")) return true;
        break;
      default:
        break;
    }
  }
  return false;
}

}  // namespace

bool AppendNormalizedConstants(std::string_view sql, std::string* out) {
  // The few places where a constant's value does change an analysis: EXPLAIN's option values
  // (ANALYZE 0 / 'off' only plans the statement; ANALYZE 1 runs it), COPY's (HEADER 0 / 1 says
  // whether the first row is names or data, which masking must know), and UESCAPE, whose
  // string changes what a U&"..." name spells. Such texts are keyed exactly.
  if (MentionsExactKeyWord(sql)) return false;
  out->reserve(out->size() + sql.size());
  size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    const bool after_ident = i > 0 && IdentChar(sql[i - 1]);
    if (c == '\\') return false;  // escapes: standard_conforming_strings decides
    if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') return false;  // comment
    if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') return false;  // comment
    if (c == '$') {
      // $1, $2, ...: parameters, kept as they are. Any other '$' may open a dollar quote.
      if (after_ident || i + 1 >= sql.size() || !Digit(sql[i + 1])) {
        return false;
      }
      size_t j = i + 1;
      while (j < sql.size() && Digit(sql[j])) ++j;
      out->append(sql.substr(i, j - i));
      i = j;
      continue;
    }
    if (c == '&' && i + 1 < sql.size() && (sql[i + 1] == '"' || sql[i + 1] == '\'')) {
      return false;  // U&"..." and U&'...' have escapes of their own
    }
    if (c == '"') {
      // A quoted identifier: copied as is ("" inside is an escaped quote).
      size_t j = i + 1;
      for (;;) {
        if (j >= sql.size()) return false;
        if (sql[j] == '"') {
          if (j + 1 < sql.size() && sql[j + 1] == '"') {
            j += 2;
            continue;
          }
          break;
        }
        ++j;
      }
      out->append(sql.substr(i, j + 1 - i));
      i = j + 1;
      continue;
    }
    if (c == '\'') {
      // A string constant is copied as it is: strings also fill fields that are not constants
      // (COPY's file name, a function body, LOAD's library), where their value does matter.
      if (after_ident) return false;  // E'', B'', X'', N'': escapes of their own
      size_t close = sql.find('\'', i + 1);
      if (close == std::string_view::npos) return false;
      if (close + 1 < sql.size() && sql[close + 1] == '\'') return false;  // 'it''s'
      std::string_view body = sql.substr(i + 1, close - i - 1);
      if (body.find('\\') != std::string_view::npos) return false;
      out->append(sql.substr(i, close + 1 - i));
      i = close + 1;
      continue;
    }
    if (Digit(c) && !after_ident) {
      size_t j = i;
      while (j < sql.size() && Digit(sql[j])) ++j;
      if (EndsConstant(sql, j)) {
        *out += '0';
      } else {
        out->append(sql.substr(i, j - i));  // 1.5, 1e3, 12abc: kept exactly
      }
      i = j;
      continue;
    }
    // A run of characters with no meaning here, copied at once.
    size_t j = i + 1;
    while (j < sql.size() && (!Is(sql[j], kSpecial) || (Digit(sql[j]) && IdentChar(sql[j - 1])))) {
      ++j;
    }
    out->append(sql.substr(i, j - i));
    i = j;
  }
  return true;
}

std::optional<std::string> NormalizeConstants(std::string_view sql) {
  std::string out;
  if (!AppendNormalizedConstants(sql, &out)) return std::nullopt;
  return out;
}

}  // namespace warden::sql
