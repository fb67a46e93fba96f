#include "common/crypto/ed25519.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/util/base64.h"

namespace warden::crypto {

namespace {

using PKey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;
using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;

constexpr absl::string_view kKeyTextPrefix = "ed25519:";

const unsigned char* U(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

PKey PrivateKey(absl::string_view seed) {
  return PKey(seed.size() == kEd25519KeyLen
                  ? EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, U(seed), seed.size())
                  : nullptr,
              EVP_PKEY_free);
}

absl::StatusOr<Ed25519KeyPair> PairOf(EVP_PKEY* key) {
  Ed25519KeyPair pair;
  pair.private_key.resize(kEd25519KeyLen);
  pair.public_key.resize(kEd25519KeyLen);
  size_t priv_len = kEd25519KeyLen, pub_len = kEd25519KeyLen;
  if (EVP_PKEY_get_raw_private_key(key, reinterpret_cast<unsigned char*>(pair.private_key.data()),
                                   &priv_len) != 1 ||
      EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(pair.public_key.data()),
                                  &pub_len) != 1 ||
      priv_len != kEd25519KeyLen || pub_len != kEd25519KeyLen) {
    return absl::InvalidArgumentError("not an Ed25519 private key");
  }
  return pair;
}

}  // namespace

Ed25519KeyPair::~Ed25519KeyPair() {
  if (!private_key.empty()) OPENSSL_cleanse(private_key.data(), private_key.size());
}

Ed25519KeyPair Ed25519KeyPair::Generate() {
  EVP_PKEY* raw = nullptr;
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr), EVP_PKEY_CTX_free);
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw) != 1) {
    std::abort();  // the RNG or OpenSSL is broken: nothing secure can follow
  }
  PKey key(raw, EVP_PKEY_free);
  auto pair = PairOf(key.get());
  if (!pair.ok()) std::abort();
  return *std::move(pair);
}

absl::StatusOr<Ed25519KeyPair> Ed25519KeyPair::FromPrivate(absl::string_view seed) {
  PKey key = PrivateKey(seed);
  if (!key) return absl::InvalidArgumentError("an Ed25519 private key has 32 bytes");
  return PairOf(key.get());
}

absl::StatusOr<std::string> Ed25519Sign(absl::string_view private_key, absl::string_view message) {
  PKey key = PrivateKey(private_key);
  MdCtx ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::string sig(kEd25519SignatureLen, '\0');
  size_t len = sig.size();
  // Ed25519 hashes internally: no digest is named (RFC 8032 §5.1.6, OpenSSL's EVP_DigestSign).
  if (!key || !ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, U(message),
                     message.size()) != 1 ||
      len != kEd25519SignatureLen) {
    return absl::InternalError("Ed25519 signing failed");
  }
  return sig;
}

bool Ed25519Verify(absl::string_view public_key, absl::string_view message,
                   absl::string_view signature) {
  if (public_key.size() != kEd25519KeyLen || signature.size() != kEd25519SignatureLen) return false;
  PKey key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, U(public_key), public_key.size()),
           EVP_PKEY_free);
  MdCtx ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  return key && ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), U(signature), signature.size(), U(message), message.size()) ==
             1;
}

std::string Ed25519KeyText(absl::string_view public_key) {
  return absl::StrCat(kKeyTextPrefix, Base64Encode(public_key));
}

absl::StatusOr<std::string> ParseEd25519KeyText(absl::string_view text) {
  if (!absl::ConsumePrefix(&text, kKeyTextPrefix)) {
    return absl::InvalidArgumentError("an Ed25519 public key is written ed25519:<base64>");
  }
  auto raw = Base64Decode(text);
  if (!raw || raw->size() != kEd25519KeyLen) {
    return absl::InvalidArgumentError(
        "an Ed25519 public key is written ed25519:<base64 of 32 bytes>");
  }
  return *raw;
}

std::string KeyFingerprint(absl::string_view public_key) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(U(public_key), public_key.size(), digest);
  std::string b64 =
      Base64Encode(absl::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  return absl::StrCat("SHA256:", b64);
}

absl::StatusOr<std::string> Ed25519PrivateKeyPem(absl::string_view private_key) {
  PKey key = PrivateKey(private_key);
  Bio bio(BIO_new(BIO_s_secmem()), BIO_free);
  if (!key || !bio ||
      PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return absl::InternalError("cannot encode the Ed25519 key as PEM");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

absl::StatusOr<Ed25519KeyPair> ParseEd25519PrivateKeyPem(absl::string_view pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  // An encrypted key is refused, never prompted for: no passphrase callback reads the terminal.
  pem_password_cb* no_passphrase = [](char*, int, int, void*) { return 0; };
  PKey key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr) : nullptr,
           EVP_PKEY_free);
  if (!key || EVP_PKEY_id(key.get()) != EVP_PKEY_ED25519) {
    return absl::InvalidArgumentError("not a PEM Ed25519 private key");
  }
  return PairOf(key.get());
}

}  // namespace warden::crypto
