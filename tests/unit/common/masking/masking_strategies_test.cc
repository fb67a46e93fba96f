// Masking strategies: redact, partial (UTF-8 safe), keyed hash, null.
#include <catch2/catch.hpp>
#include <string>

#include "common/masking/strategies.h"
#include "common/masking/value_hasher.h"

using warden::masking::ApplyStrategy;
using warden::masking::MaskAllButLast;
using warden::masking::Strategy;
using warden::masking::ValueHasher;

namespace {

ValueHasher Hasher(const std::string& key) {
  absl::StatusOr<ValueHasher> h = ValueHasher::Create(key);
  REQUIRE(h.ok());
  return *std::move(h);
}

}  // namespace

TEST_CASE("partial: keeps the last N characters", "[masking][strategies]") {
  CHECK(MaskAllButLast("4111111111111111", 4) == "************1111");
  CHECK(MaskAllButLast("4111-1111-1111-1111", 4) == "***************1111");
  CHECK(MaskAllButLast("123-45-6789", 4) == "*******6789");
  CHECK(MaskAllButLast("abc", 0) == "***");
  CHECK(MaskAllButLast("", 4) == "");
}

TEST_CASE("partial: values no longer than N are masked whole", "[masking][strategies]") {
  CHECK(MaskAllButLast("1234", 4) == "****");
  CHECK(MaskAllButLast("12", 4) == "**");
  CHECK(MaskAllButLast("12345", 4) == "*2345");
}

TEST_CASE("partial: counts UTF-8 code points, never cuts a sequence", "[masking][strategies]") {
  // "Zoë Müller": ë and ü are two bytes each.
  CHECK(MaskAllButLast("Zo\xC3\xAB M\xC3\xBCller", 5) == "*****\xC3\xBCller");
  CHECK(MaskAllButLast("Zo\xC3\xAB M\xC3\xBCller", 7) == "*** M\xC3\xBCller");
  // CJK (3 bytes) and emoji (4 bytes): one '*' per masked character.
  CHECK(MaskAllButLast("\xE5\xB1\xB1\xE7\x94\xB0\xE5\xA4\xAA\xE9\x83\x8E", 2) ==
        "**\xE5\xA4\xAA\xE9\x83\x8E");
  CHECK(MaskAllButLast("\xF0\x9F\x98\x80\xF0\x9F\x98\x81x", 1) == "**x");
  CHECK(MaskAllButLast("\xF0\x9F\x98\x80", 1) == "*");
  // Invalid UTF-8 (stray continuation bytes) is handled, not trusted.
  CHECK(MaskAllButLast("\x80\x80"
                       "abcd",
                       4) == "*abcd");
  CHECK(MaskAllButLast("ab\xE2\x82", 1) == "**\xE2\x82");
}

TEST_CASE("redact: fixed text whatever the length", "[masking][strategies]") {
  const Strategy redact{warden::v1::MASK_STRATEGY_REDACT, 0};
  CHECK(ApplyStrategy(redact, "1", nullptr) == "****");
  CHECK(ApplyStrategy(redact, std::string(1000, 'x'), nullptr) == "****");
  CHECK(ApplyStrategy(redact, "", nullptr) == "****");
}

TEST_CASE("null: signals SQL NULL", "[masking][strategies]") {
  const Strategy null{warden::v1::MASK_STRATEGY_NULL, 0};
  CHECK_FALSE(ApplyStrategy(null, "secret", nullptr).has_value());
}

TEST_CASE("hash: HMAC-SHA-256 test vectors (RFC 4231)", "[masking][strategies]") {
  // Test case 1: 20-byte key.
  CHECK(Hasher(std::string(20, '\x0b')).Hash("Hi There") == "b0344c61d8db3853");
  // Test case 6: a key longer than the block is hashed first.
  CHECK(Hasher(std::string(131, '\xaa'))
            .Hash("Test Using Larger Than Block-Size Key - Hash Key First") == "60e431591ee0b67f");
}

TEST_CASE("hash: deterministic, key-dependent, and required to be keyed", "[masking][strategies]") {
  const ValueHasher a = Hasher("0123456789abcdef-key-a");
  const ValueHasher b = Hasher("0123456789abcdef-key-b");
  CHECK(a.Hash("alice@example.com") == a.Hash("alice@example.com"));
  CHECK(a.Hash("alice@example.com") != a.Hash("alice@example.co"));
  CHECK(a.Hash("alice@example.com") != b.Hash("alice@example.com"));
  CHECK(a.Hash("").size() == ValueHasher::kDigestHexSize);
  const Strategy hash{warden::v1::MASK_STRATEGY_HASH, 0};
  CHECK(ApplyStrategy(hash, "x", &a) == a.Hash("x"));
  // Without a hasher HASH fails closed to the redact text, never to the value.
  CHECK(ApplyStrategy(hash, "x", nullptr) == "****");

  CHECK(ValueHasher::Create("short").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(ValueHasher::Create("").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(ValueHasher::Create(std::string(16, 'k')).ok());
}
