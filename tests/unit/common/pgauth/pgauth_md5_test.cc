// Md5PasswordResponse: the AuthenticationMD5Password answer
// (https://www.postgresql.org/docs/15/auth-password.html).
#include <catch2/catch.hpp>

#include "common/pgauth/md5_password.h"

using warden::pgauth::Md5PasswordResponse;

TEST_CASE("md5 password response matches a known vector", "[pgauth]") {
  // printf 'secretpostgres' | md5sum -> 53f48b7c4b76a86ce72276c5755f217d
  // (printf '53f48b7c4b76a86ce72276c5755f217d'; printf '\x01\x02\x03\x04') | md5sum
  CHECK(Md5PasswordResponse("postgres", "secret", {1, 2, 3, 4}) ==
        "md5bb41a296aab6baccb36ff243a562abff");
}

TEST_CASE("md5 password response depends on user, password and salt", "[pgauth]") {
  const std::string base = Md5PasswordResponse("postgres", "secret", {1, 2, 3, 4});
  CHECK(Md5PasswordResponse("postgre", "secret", {1, 2, 3, 4}) != base);
  CHECK(Md5PasswordResponse("postgres", "secre", {1, 2, 3, 4}) != base);
  CHECK(Md5PasswordResponse("postgres", "secret", {1, 2, 3, 5}) != base);
  CHECK(base.size() == 35);
}

TEST_CASE("md5 password response handles salt bytes >= 0x80 and empty inputs", "[pgauth]") {
  std::string r = Md5PasswordResponse("", "", {0xff, 0x00, 0x80, 0x7f});
  CHECK(r.size() == 35);
  CHECK(r.rfind("md5", 0) == 0);
  CHECK(r.find_first_not_of("0123456789abcdef", 3) == std::string::npos);
}
