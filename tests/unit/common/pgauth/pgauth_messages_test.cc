// Strict base64 and SCRAM message parsing (RFC 4648 §4, RFC 5802 §7).
#include <catch2/catch.hpp>
#include <string>

#include "common/pgauth/saslprep.h"
#include "common/pgauth/scram_messages.h"
#include "common/util/base64.h"

using namespace warden::pgauth;
using warden::Base64Decode;
using warden::Base64Encode;

TEST_CASE("base64 round-trips every length", "[pgauth]") {
  std::string bytes;
  for (int i = 0; i < 40; ++i) {
    auto decoded = Base64Decode(Base64Encode(bytes));
    REQUIRE(decoded.has_value());
    CHECK(*decoded == bytes);
    bytes += static_cast<char>(i * 37 + 200);
  }
  CHECK(Base64Encode("n,,") == "biws");
  CHECK(Base64Encode("f") == "Zg==");
  CHECK(Base64Encode("fo") == "Zm8=");
}

TEST_CASE("base64 decoding is strict", "[pgauth]") {
  for (const char* bad :
       {"Zg=", "Zg", "Z===", "====", "Zh==", "Zm9=", "Zm8=Zm8=", "Zm 8", "Zm8\n", "Zm-_", "=Zm8"}) {
    INFO(bad);
    CHECK_FALSE(Base64Decode(bad).has_value());
  }
  CHECK(Base64Decode("")->empty());
}

TEST_CASE("server-first parsing", "[pgauth]") {
  auto parsed = ParseServerFirst("r=abcdef,s=QSXCR+Q6sek8bf92,i=4096,z=ext", 10000);
  REQUIRE(parsed.ok());
  CHECK(parsed->nonce == "abcdef");
  CHECK(parsed->salt.size() == 12);
  CHECK(parsed->iterations == 4096);
  CHECK_FALSE(ParseServerFirst("r=abc,s=QSXCR+Q6sek8bf92,i=4096", 4095).ok());
  CHECK_FALSE(ParseServerFirst(std::string(5000, 'r'), 4096).ok());
  CHECK_FALSE(ParseServerFirst(std::string("r=a\0b,s=QSXC,i=1", 16), 4096).ok());
  CHECK_FALSE(ParseServerFirst("1=abc,s=QSXC,i=1", 4096).ok());
}

TEST_CASE("server-final parsing", "[pgauth]") {
  auto ok = ParseServerFinal("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=,x=ext");
  REQUIRE(ok.ok());
  CHECK(ok->size() == 32);
  auto err = ParseServerFinal("e=other-error,x=1");
  CHECK(err.status().code() == absl::StatusCode::kUnauthenticated);
  CHECK(std::string(err.status().message()) == "server rejected SCRAM authentication: other-error");
}

TEST_CASE("password preparation follows PostgreSQL's pg_saslprep for ASCII", "[pgauth]") {
  CHECK(PreparePassword("pencil") == "pencil");
  CHECK(PreparePassword(" a\tb ") == " a\tb ");      // ASCII: no mapping at all
  CHECK(PreparePassword("\xff\xfe") == "\xff\xfe");  // invalid UTF-8: raw bytes
  CHECK(IsAscii("abc"));
  CHECK_FALSE(IsAscii("caf\xc3\xa9"));
}
