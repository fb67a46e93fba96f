// ASCII character classes and token-boundary tests shared by the content scanners.
// Deliberately locale-free (std::isdigit and friends consult the C locale and take int): result
// values are bytes, and a byte >= 0x80 is never a digit or an ASCII letter here.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace warden::masking::internal {

// Character classes TextProfile ORs over a whole value, one table lookup a byte.
enum CharClass : uint8_t {
  kDigit = 1u << 0,
  kUpper = 1u << 1,
  kLower = 1u << 2,
  kAt = 1u << 3,
  kDot = 1u << 4,
  kDash = 1u << 5,
  kCapitalA = 1u << 6,  // "AKIA" / "ASIA"
};

constexpr std::array<uint8_t, 256> MakeCharClasses() {
  std::array<uint8_t, 256> table{};
  for (int c = '0'; c <= '9'; ++c) table[c] = kDigit;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = kUpper;
  for (int c = 'a'; c <= 'z'; ++c) table[c] = kLower;
  table['A'] |= kCapitalA;
  table['@'] = kAt;
  table['.'] = kDot;
  table['-'] = kDash;
  return table;
}
inline constexpr std::array<uint8_t, 256> kCharClasses = MakeCharClasses();

constexpr uint8_t ClassOf(char c) { return kCharClasses[static_cast<uint8_t>(c)]; }

// Range tests rather than table lookups: in the scanners' byte loops a compare is cheaper than
// a dependent load (measured with tests/bench/masking_bench.cc).
constexpr bool IsDigit(char c) { return static_cast<unsigned char>(c - '0') < 10; }
constexpr bool IsUpper(char c) { return static_cast<unsigned char>(c - 'A') < 26; }
constexpr bool IsLetter(char c) { return static_cast<unsigned char>((c | 0x20) - 'a') < 26; }
constexpr bool IsAlnum(char c) { return IsDigit(c) || IsLetter(c); }

// The byte at `i`, or NUL outside the text: lets scanners look one or two bytes around a
// candidate without bounds checks at every call site (NUL is in no class above).
constexpr char At(std::string_view text, size_t i) { return i < text.size() ? text[i] : '\0'; }
constexpr char Before(std::string_view text, size_t i, size_t back = 1) {
  return i >= back ? text[i - back] : '\0';
}

// Numeric tokens (SSNs, phone numbers) must stand alone: not glued to a word ("A123-45-6789")
// and not the middle of a longer dash- or dot-separated number ("978-123-45-6789",
// "1.555.123.4567.8").
constexpr bool NumberStartsAt(std::string_view text, size_t i) {
  const char prev = Before(text, i);
  if (IsAlnum(prev)) return false;
  return !((prev == '-' || prev == '.') && IsDigit(Before(text, i, 2)));
}
constexpr bool NumberEndsAt(std::string_view text, size_t end) {
  const char next = At(text, end);
  if (IsAlnum(next)) return false;
  return !((next == '-' || next == '.') && IsDigit(At(text, end + 1)));
}

// Length of the run of ASCII digits starting at `i`.
constexpr size_t DigitRun(std::string_view text, size_t i) {
  size_t j = i;
  while (j < text.size() && IsDigit(text[j])) ++j;
  return j - i;
}

}  // namespace warden::masking::internal
