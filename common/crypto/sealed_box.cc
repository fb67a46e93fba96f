#include "common/crypto/sealed_box.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "common/crypto/random.h"

namespace warden::crypto {

namespace {

constexpr size_t kNonceLen = 12;
constexpr size_t kTagLen = 16;
constexpr char kInfo[] = "warden.sealed-credential.v1";

using PKey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using PKeyCtx = std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)>;
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char* U(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

PKey RawKey(absl::string_view raw, bool is_private) {
  EVP_PKEY* k = is_private
                    ? EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, U(raw), raw.size())
                    : EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, U(raw), raw.size());
  return PKey(k, EVP_PKEY_free);
}

std::string RawOf(EVP_PKEY* k, bool is_private) {
  std::string out(kX25519KeyLen, '\0');
  size_t len = out.size();
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  int ok = is_private ? EVP_PKEY_get_raw_private_key(k, p, &len)
                      : EVP_PKEY_get_raw_public_key(k, p, &len);
  if (ok != 1 || len != kX25519KeyLen) std::abort();
  return out;
}

// X25519(priv, peer) then HKDF-SHA-256 with both public keys as salt, so the derived key is
// bound to this exchange.
absl::StatusOr<std::string> DeriveKey(EVP_PKEY* priv, absl::string_view peer_public,
                                      absl::string_view salt) {
  PKey peer = RawKey(peer_public, false);
  if (!peer) return absl::InvalidArgumentError("invalid X25519 public key");
  PKeyCtx ctx(EVP_PKEY_CTX_new(priv, nullptr), EVP_PKEY_CTX_free);
  std::string shared(kX25519KeyLen, '\0');
  size_t len = shared.size();
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), reinterpret_cast<unsigned char*>(shared.data()), &len) != 1) {
    return absl::InvalidArgumentError("X25519 key agreement failed");
  }
  std::string key(32, '\0');
  PKeyCtx kdf(EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr), EVP_PKEY_CTX_free);
  size_t key_len = key.size();
  bool ok = kdf && EVP_PKEY_derive_init(kdf.get()) == 1 &&
            EVP_PKEY_CTX_set_hkdf_md(kdf.get(), EVP_sha256()) == 1 &&
            EVP_PKEY_CTX_set1_hkdf_salt(kdf.get(), U(salt), salt.size()) == 1 &&
            EVP_PKEY_CTX_set1_hkdf_key(kdf.get(), U(shared), shared.size()) == 1 &&
            EVP_PKEY_CTX_add1_hkdf_info(kdf.get(), U(kInfo), sizeof(kInfo) - 1) == 1 &&
            EVP_PKEY_derive(kdf.get(), reinterpret_cast<unsigned char*>(key.data()), &key_len) == 1;
  OPENSSL_cleanse(shared.data(), shared.size());
  if (!ok) return absl::InternalError("HKDF failed");
  return key;
}

}  // namespace

X25519KeyPair X25519KeyPair::Generate() {
  EVP_PKEY* raw = nullptr;
  PKeyCtx ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, nullptr), EVP_PKEY_CTX_free);
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw) != 1) {
    std::abort();  // no safe fallback for key material
  }
  PKey k(raw, EVP_PKEY_free);
  return X25519KeyPair{RawOf(k.get(), true), RawOf(k.get(), false)};
}

absl::StatusOr<std::string> SealTo(absl::string_view recipient_public_key,
                                   absl::string_view plaintext, absl::string_view aad) {
  if (recipient_public_key.size() != kX25519KeyLen) {
    return absl::FailedPreconditionError("the agent has not registered a sealing key");
  }
  X25519KeyPair eph = X25519KeyPair::Generate();
  PKey eph_priv = RawKey(eph.private_key, true);
  auto key = DeriveKey(eph_priv.get(), recipient_public_key,
                       absl::StrCat(eph.public_key, recipient_public_key));
  OPENSSL_cleanse(eph.private_key.data(), eph.private_key.size());
  if (!key.ok()) return key.status();
  std::string nonce = RandomBytes(kNonceLen);
  std::string out = absl::StrCat(eph.public_key, nonce);
  size_t head = out.size();
  out.resize(head + plaintext.size() + kTagLen);
  auto* ct = reinterpret_cast<unsigned char*>(out.data()) + head;
  CipherCtx c(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int len = 0;
  bool ok =
      c && EVP_EncryptInit_ex(c.get(), EVP_aes_256_gcm(), nullptr, U(*key), U(nonce)) == 1 &&
      EVP_EncryptUpdate(c.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) == 1 &&
      EVP_EncryptUpdate(c.get(), ct, &len, U(plaintext), static_cast<int>(plaintext.size())) == 1 &&
      EVP_EncryptFinal_ex(c.get(), ct + len, &len) == 1 &&
      EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_GET_TAG, kTagLen, ct + plaintext.size()) == 1;
  OPENSSL_cleanse(key->data(), key->size());
  if (!ok) return absl::InternalError("AES-256-GCM encryption failed");
  return out;
}

absl::StatusOr<std::string> OpenSealed(absl::string_view recipient_private_key,
                                       absl::string_view sealed, absl::string_view aad) {
  if (sealed.size() < kX25519KeyLen + kNonceLen + kTagLen) {
    return absl::DataLossError("sealed credential is truncated");
  }
  PKey priv = RawKey(recipient_private_key, true);
  if (!priv) return absl::InvalidArgumentError("invalid X25519 private key");
  absl::string_view eph_pub = sealed.substr(0, kX25519KeyLen);
  absl::string_view nonce = sealed.substr(kX25519KeyLen, kNonceLen);
  absl::string_view body = sealed.substr(kX25519KeyLen + kNonceLen);
  absl::string_view ct = body.substr(0, body.size() - kTagLen);
  std::string tag(body.substr(body.size() - kTagLen));
  auto key = DeriveKey(priv.get(), eph_pub, absl::StrCat(eph_pub, RawOf(priv.get(), false)));
  if (!key.ok()) return absl::DataLossError("sealed credential failed authentication");
  std::string plain(ct.size(), '\0');
  auto* out = reinterpret_cast<unsigned char*>(plain.data());
  CipherCtx c(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int len = 0;
  bool ok = c && EVP_DecryptInit_ex(c.get(), EVP_aes_256_gcm(), nullptr, U(*key), U(nonce)) == 1 &&
            EVP_DecryptUpdate(c.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) == 1 &&
            EVP_DecryptUpdate(c.get(), out, &len, U(ct), static_cast<int>(ct.size())) == 1 &&
            EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_SET_TAG, kTagLen, tag.data()) == 1 &&
            EVP_DecryptFinal_ex(c.get(), out + len, &len) == 1;
  OPENSSL_cleanse(key->data(), key->size());
  if (!ok) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return absl::DataLossError(
        "sealed credential failed authentication (tampered, or sealed "
        "for another agent or session)");
  }
  return plain;
}

}  // namespace warden::crypto
