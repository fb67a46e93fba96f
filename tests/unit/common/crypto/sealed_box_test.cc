#include "common/crypto/sealed_box.h"

#include <catch2/catch.hpp>

using warden::crypto::OpenSealed;
using warden::crypto::SealTo;
using warden::crypto::X25519KeyPair;

TEST_CASE("a credential sealed to an agent opens only with its key and context", "[crypto]") {
  X25519KeyPair agent = X25519KeyPair::Generate();
  REQUIRE(agent.public_key.size() == 32);
  REQUIRE(agent.private_key != agent.public_key);
  auto sealed = SealTo(agent.public_key, "user\npa55word", "ses_1\ndemo");
  REQUIRE(sealed.ok());
  REQUIRE(sealed->find("pa55word") == std::string::npos);
  REQUIRE(sealed->size() == 32 + 12 + 13 + 16);
  auto opened = OpenSealed(agent.private_key, *sealed, "ses_1\ndemo");
  REQUIRE(opened.ok());
  REQUIRE(*opened == "user\npa55word");

  SECTION("two seals of the same value differ (ephemeral key and nonce)") {
    REQUIRE(*SealTo(agent.public_key, "user\npa55word", "ses_1\ndemo") != *sealed);
  }
  SECTION("another agent cannot open it") {
    X25519KeyPair other = X25519KeyPair::Generate();
    REQUIRE(absl::IsDataLoss(OpenSealed(other.private_key, *sealed, "ses_1\ndemo").status()));
  }
  SECTION("another session's context cannot open it") {
    REQUIRE(absl::IsDataLoss(OpenSealed(agent.private_key, *sealed, "ses_2\ndemo").status()));
  }
  SECTION("every flipped byte is detected") {
    for (size_t i = 0; i < sealed->size(); ++i) {
      std::string bad = *sealed;
      bad[i] ^= 0x40;
      REQUIRE_FALSE(OpenSealed(agent.private_key, bad, "ses_1\ndemo").ok());
    }
  }
  SECTION("truncation is detected") {
    REQUIRE(absl::IsDataLoss(OpenSealed(agent.private_key, sealed->substr(0, 50), "x").status()));
  }
}

TEST_CASE("sealing to an agent without a key fails closed", "[crypto]") {
  REQUIRE(absl::IsFailedPrecondition(SealTo("", "secret", "ctx").status()));
  REQUIRE_FALSE(SealTo(std::string(31, 'a'), "secret", "ctx").ok());
}
