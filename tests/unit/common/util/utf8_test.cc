// Well-formed UTF-8 (common/util/utf8.h): what may go into a proto string or a terminal.
#include <catch2/catch.hpp>

#include <string>

#include "common/util/utf8.h"

using warden::DecodeUtf8;
using warden::Utf8Prefix;
using warden::ValidUtf8;

TEST_CASE("utf8: only well-formed sequences decode") {
  uint32_t cp = 0;
  CHECK(DecodeUtf8("a", 0, &cp) == 1);
  CHECK(cp == 'a');
  CHECK(DecodeUtf8("\xc3\xa9", 0, &cp) == 2);
  CHECK(cp == 0xe9);
  CHECK(DecodeUtf8("\xf0\x9f\x98\x80", 0, &cp) == 4);
  CHECK(cp == 0x1f600);
  CHECK(DecodeUtf8("\xc0\x80", 0, &cp) == 0);          // overlong NUL
  CHECK(DecodeUtf8("\xed\xa0\x80", 0, &cp) == 0);      // a surrogate
  CHECK(DecodeUtf8("\xf4\x90\x80\x80", 0, &cp) == 0);  // past U+10FFFF
  CHECK(DecodeUtf8("\xc3", 0, &cp) == 0);              // cut short
  CHECK(DecodeUtf8("\x80", 0, &cp) == 0);              // a lone continuation byte
}

TEST_CASE("utf8: invalid bytes become question marks, valid text is kept") {
  CHECK(ValidUtf8("caf\xc3\xa9") == "caf\xc3\xa9");
  CHECK(ValidUtf8("caf\xe9 ok") == "caf? ok");  // Latin-1
  CHECK(ValidUtf8(std::string("a\0b", 3)) == std::string("a\0b", 3));
  CHECK(ValidUtf8("\xc0\x80") == "??");
}

TEST_CASE("utf8: a prefix never cuts a character") {
  CHECK(Utf8Prefix("abc", 5) == "abc");
  CHECK(Utf8Prefix("abc", 2) == "ab");
  CHECK(Utf8Prefix("a\xc3\xa9", 2) == "a");  // é would be cut
  CHECK(Utf8Prefix("a\xc3\xa9", 3) == "a\xc3\xa9");
  CHECK(Utf8Prefix("\xf0\x9f\x98\x80x", 3).empty());
}
