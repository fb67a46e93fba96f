#include <catch2/catch.hpp>
#include <set>

#include "common/crypto/ed25519.h"
#include "common/crypto/keyring.h"
#include "common/crypto/token.h"

using warden::crypto::Keyring;

TEST_CASE("tokens carry their prefix, 256 bits, and are unique", "[crypto]") {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string t = warden::crypto::GenerateToken("wdn_");
    REQUIRE(t.rfind("wdn_", 0) == 0);
    REQUIRE(t.size() == 4 + 43);
    REQUIRE(seen.insert(t).second);
  }
}

TEST_CASE("token hashes are SHA-256 hex", "[crypto]") {
  REQUIRE(warden::crypto::HashToken("abc") ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  REQUIRE(warden::crypto::ConstantTimeEquals("abc", "abc"));
  REQUIRE_FALSE(warden::crypto::ConstantTimeEquals("abc", "abd"));
  REQUIRE_FALSE(warden::crypto::ConstantTimeEquals("abc", "abcd"));
}

TEST_CASE("keyring seals and opens, and detects tampering", "[crypto]") {
  auto ring = Keyring::Parse(Keyring::GenerateKeyFile("k1"));
  REQUIRE(ring.ok());
  auto sealed = ring->Seal("hunter2", "conn\nuser");
  REQUIRE(sealed.ok());
  REQUIRE(sealed->key_id == "k1");
  REQUIRE(sealed->blob.find("hunter2") == std::string::npos);
  auto opened = ring->Open(*sealed, "conn\nuser");
  REQUIRE(opened.ok());
  REQUIRE(*opened == "hunter2");

  SECTION("a flipped bit anywhere fails") {
    for (size_t i = 0; i < sealed->blob.size(); ++i) {
      auto bad = *sealed;
      bad.blob[i] ^= 0x01;
      REQUIRE(absl::IsDataLoss(ring->Open(bad, "conn\nuser").status()));
    }
  }
  SECTION("another row's aad fails") {
    REQUIRE(absl::IsDataLoss(ring->Open(*sealed, "other\nuser").status()));
  }
  SECTION("truncation fails") {
    auto bad = *sealed;
    bad.blob.resize(10);
    REQUIRE(absl::IsDataLoss(ring->Open(bad, "conn\nuser").status()));
  }
  SECTION("an unknown key id says so") {
    auto bad = *sealed;
    bad.key_id = "k9";
    auto st = ring->Open(bad, "conn\nuser").status();
    REQUIRE(absl::IsFailedPrecondition(st));
    REQUIRE(std::string(st.message()).find("k9") != std::string::npos);
  }
}

TEST_CASE("keyring rotation: first key seals, every key opens", "[crypto]") {
  std::string old_file = Keyring::GenerateKeyFile("old");
  auto old_ring = Keyring::Parse(old_file);
  REQUIRE(old_ring.ok());
  auto sealed = old_ring->Seal("s", "a");
  REQUIRE(sealed.ok());
  auto rotated = Keyring::Parse(Keyring::GenerateKeyFile("new") + old_file);
  REQUIRE(rotated.ok());
  REQUIRE(rotated->current_key_id() == "new");
  REQUIRE(*rotated->Open(*sealed, "a") == "s");
  REQUIRE(rotated->Seal("s", "a")->key_id == "new");
}

TEST_CASE("keyring file errors do not echo key material", "[crypto]") {
  auto bad = Keyring::Parse("k1:deadbeef\n");
  REQUIRE_FALSE(bad.ok());
  REQUIRE(std::string(bad.status().message()).find("deadbeef") == std::string::npos);
  REQUIRE(std::string(bad.status().message()).find("line 1") != std::string::npos);
  REQUIRE_FALSE(Keyring::Parse("").ok());
  std::string dup = Keyring::GenerateKeyFile("a") + Keyring::GenerateKeyFile("a");
  REQUIRE_FALSE(Keyring::Parse(dup).ok());
}

TEST_CASE("ed25519: sign, verify, key text, fingerprint and PEM") {
  using namespace warden::crypto;
  Ed25519KeyPair k = Ed25519KeyPair::Generate();
  REQUIRE(k.public_key.size() == kEd25519KeyLen);
  auto sig = Ed25519Sign(k.private_key, "message");
  REQUIRE(sig.ok());
  CHECK(sig->size() == kEd25519SignatureLen);
  CHECK(Ed25519Verify(k.public_key, "message", *sig));
  CHECK_FALSE(Ed25519Verify(k.public_key, "messagf", *sig));
  CHECK_FALSE(Ed25519Verify(Ed25519KeyPair::Generate().public_key, "message", *sig));
  CHECK_FALSE(Ed25519Verify(k.public_key, "message", sig->substr(1)));
  CHECK_FALSE(Ed25519Verify("short", "message", *sig));

  auto text = Ed25519KeyText(k.public_key);
  CHECK(text.rfind("ed25519:", 0) == 0);
  CHECK(*ParseEd25519KeyText(text) == k.public_key);
  CHECK_FALSE(ParseEd25519KeyText("ed25519:AAAA").ok());
  CHECK_FALSE(ParseEd25519KeyText(text.substr(8)).ok());
  CHECK(KeyFingerprint(k.public_key).rfind("SHA256:", 0) == 0);
  CHECK(KeyFingerprint(k.public_key).size() == 7 + 43);

  auto pem = Ed25519PrivateKeyPem(k.private_key);
  REQUIRE(pem.ok());
  CHECK(pem->find("BEGIN PRIVATE KEY") != std::string::npos);
  auto back = ParseEd25519PrivateKeyPem(*pem);
  REQUIRE(back.ok());
  CHECK(back->public_key == k.public_key);
  CHECK_FALSE(ParseEd25519PrivateKeyPem("not a key").ok());
  // RFC 8032 §7.1 test 1: the seed's public key.
  auto rfc = Ed25519KeyPair::FromPrivate(std::string(
      "\x9d\x61\xb1\x9d\xef\xfd\x5a\x60\xba\x84\x4a\xf4\x92\xec\x2c\xc4\x44\x49\xc5\x69\x7b\x32"
      "\x69\x19\x70\x3b\xac\x03\x1c\xae\x7f\x60",
      32));
  REQUIRE(rfc.ok());
  CHECK(rfc->public_key == std::string("\xd7\x5a\x98\x01\x82\xb1\x0a\xb7\xd5\x4b\xfe\xd3\xc9\x64"
                                       "\x07\x3a\x0e\xe1\x72\xf3\xda\xa6\x23\x25\xaf\x02\x1a\x68"
                                       "\xf7\x07\x51\x1a",
                                       32));
}
