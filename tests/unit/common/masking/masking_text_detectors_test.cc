// Text content detectors: emails, JWTs, AWS access key ids, PEM private keys; and the
// pre-filter that lets values without trigger characters skip them all.
#include <catch2/catch.hpp>
#include <string>

#include "tests/unit/common/masking/masking_fixtures.h"

using warden::masking::FindDetectorSpans;
using warden::masking::Span;
using warden::masking::TextProfile;
using warden::masking::testing::CheckNothingFound;
using warden::masking::testing::Found;
using warden::masking::testing::Strings;
using warden::v1::DETECTOR_AWS_ACCESS_KEY;
using warden::v1::DETECTOR_CREDIT_CARD;
using warden::v1::DETECTOR_EMAIL;
using warden::v1::DETECTOR_IBAN;
using warden::v1::DETECTOR_JWT;
using warden::v1::DETECTOR_PHONE;
using warden::v1::DETECTOR_PRIVATE_KEY;
using warden::v1::DETECTOR_US_SSN;

namespace {

// A real HS256 token (header {"alg":"HS256","typ":"JWT"}).
constexpr const char* kJwt =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwia"
    "WF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

constexpr const char* kPem =
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n"
    "KUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQ==\n"
    "-----END RSA PRIVATE KEY-----";

}  // namespace

TEST_CASE("email: addresses in values and prose", "[masking][detectors]") {
  CHECK(Found(DETECTOR_EMAIL, "alice@example.com") == Strings{"alice@example.com"});
  CHECK(Found(DETECTOR_EMAIL, "Write to Bob.O-Neil+news@mail.example.co.uk.") ==
        Strings{"Bob.O-Neil+news@mail.example.co.uk"});
  CHECK(Found(DETECTOR_EMAIL, "<a@b.io>, c_d%x@sub-domain.example.org;") ==
        Strings{"a@b.io", "c_d%x@sub-domain.example.org"});
  CHECK(Found(DETECTOR_EMAIL, "josé.garcía@correo.es") == Strings{"josé.garcía@correo.es"});
  CHECK(Found(DETECTOR_EMAIL, "...dots@example.com") == Strings{"dots@example.com"});
  CHECK(Found(DETECTOR_EMAIL, "x@y.com@z.org") == Strings{"x@y.com"});
}

TEST_CASE("email: things with an '@' that are not addresses", "[masking][detectors]") {
  CheckNothingFound(DETECTOR_EMAIL,
                    {"@handle", "user@localhost", "a@1.2.3.4", "v1@2.0", "foo@.com", "foo@bar.c",
                     "price: 3 @ $4.50", "@example.com", "foo@bar..com", "SELECT 1 @ 2.5"});
}

TEST_CASE("jwt: tokens and near-misses", "[masking][detectors]") {
  const std::string token = kJwt;
  CHECK(Found(DETECTOR_JWT, token) == Strings{token});
  CHECK(Found(DETECTOR_JWT, "Authorization: Bearer " + token + ".") == Strings{token});
  // Unsecured JWT: empty signature segment, trailing dot kept.
  CHECK(Found(DETECTOR_JWT, "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.") ==
        Strings{"eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0."});
  CHECK(Found(DETECTOR_JWT, "eyJhbGciOiJIUzI1NiJ9.payload").empty());  // two segments
  CHECK(Found(DETECTOR_JWT, "eyJ.a.b").empty());                       // header too short
  CHECK(Found(DETECTOR_JWT, "xeyJhbGciOiJIUzI1NiJ9.a.b").empty());     // inside a word
  CHECK(Found(DETECTOR_JWT, "keyJhbGciOiJIUzI1NiJ9 a.b.c").empty());
}

TEST_CASE("aws: access key ids", "[masking][detectors]") {
  CHECK(Found(DETECTOR_AWS_ACCESS_KEY, "AKIAIOSFODNN7EXAMPLE") == Strings{"AKIAIOSFODNN7EXAMPLE"});
  CHECK(Found(DETECTOR_AWS_ACCESS_KEY, "key=ASIAY34FZKBOKMUTVV7A, region=eu") ==
        Strings{"ASIAY34FZKBOKMUTVV7A"});
  CheckNothingFound(DETECTOR_AWS_ACCESS_KEY,
                    {"AKIAIOSFODNN7EXAMPL", "AKIAIOSFODNN7EXAMPLEX", "XAKIAIOSFODNN7EXAMPLE",
                     "AKIAiosfodnn7example", "AIDAIOSFODNN7EXAMPLE", "ASIA"});
}

TEST_CASE("private key: PEM blocks", "[masking][detectors]") {
  const std::string pem = kPem;
  CHECK(Found(DETECTOR_PRIVATE_KEY, "key:\n" + pem + "\nend") == Strings{pem});
  const std::string pkcs8 = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----";
  const std::string openssh =
      "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n-----END OPENSSH PRIVATE KEY-----";
  CHECK(Found(DETECTOR_PRIVATE_KEY, pkcs8 + " " + openssh) == Strings{pkcs8, openssh});
  // A truncated block is masked to the end of the value, down to a lone first line.
  CHECK(Found(DETECTOR_PRIVATE_KEY, "-----BEGIN PRIVATE KEY-----") ==
        Strings{"-----BEGIN PRIVATE KEY-----"});
  CHECK(Found(DETECTOR_PRIVATE_KEY, "x -----BEGIN EC PRIVATE KEY-----\nMHcCAQEE") ==
        Strings{"-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE"});
  // An END line of another label does not close the block.
  CHECK(Found(DETECTOR_PRIVATE_KEY,
              "-----BEGIN PRIVATE KEY-----\nA\n-----END CERTIFICATE-----\nB\n"
              "-----END PRIVATE KEY----- tail") ==
        Strings{"-----BEGIN PRIVATE KEY-----\nA\n-----END CERTIFICATE-----\nB\n"
                "-----END PRIVATE KEY-----"});
  // Public material is not a secret.
  CHECK(Found(DETECTOR_PRIVATE_KEY, "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----")
            .empty());
  CHECK(Found(DETECTOR_PRIVATE_KEY, "-----BEGIN CERTIFICATE-----\nMIIB").empty());
}

TEST_CASE("profile: values without trigger characters skip every detector",
          "[masking][detectors]") {
  const TextProfile name("Alice Smith");
  for (const auto d :
       {DETECTOR_CREDIT_CARD, DETECTOR_EMAIL, DETECTOR_US_SSN, DETECTOR_PHONE, DETECTOR_IBAN,
        DETECTOR_JWT, DETECTOR_AWS_ACCESS_KEY, DETECTOR_PRIVATE_KEY}) {
    CHECK_FALSE(name.MayContain(d));
  }
  const TextProfile digits("order 12345678");
  CHECK_FALSE(digits.MayContain(DETECTOR_CREDIT_CARD));
  CHECK_FALSE(digits.MayContain(DETECTOR_US_SSN));
  CHECK(digits.MayContain(DETECTOR_PHONE));
  CHECK_FALSE(digits.MayContain(DETECTOR_EMAIL));
  CHECK(TextProfile("a@b.cd").MayContain(DETECTOR_EMAIL));
  CHECK_FALSE(TextProfile("").MayContain(DETECTOR_EMAIL));
  CHECK_FALSE(TextProfile("x").MayContain(warden::v1::DETECTOR_UNSPECIFIED));
}

TEST_CASE("detectors: unspecified finds nothing; spans index the input", "[masking][detectors]") {
  std::vector<Span> spans;
  FindDetectorSpans(warden::v1::DETECTOR_UNSPECIFIED, "4111111111111111", spans);
  CHECK(spans.empty());
  FindDetectorSpans(DETECTOR_CREDIT_CARD, "id 4111111111111111 x", spans);
  CHECK(spans == std::vector<Span>{Span{3, 19}});
}
