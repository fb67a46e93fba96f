#include "common/pgauth/scram_crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>

namespace warden::pgauth {
namespace {

// The OpenSSL calls below fail only on allocation failure or a broken provider; there is no
// meaningful recovery for a fixed, always-available digest, so fail loudly rather than
// authenticate with garbage.
[[noreturn]] void CryptoFailure() { std::abort(); }

}  // namespace

std::string Sha256(absl::string_view data) {
  std::string out(kSha256Size, '\0');
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &len,
                 EVP_sha256(), nullptr) != 1 ||
      len != kSha256Size) {
    CryptoFailure();
  }
  return out;
}

std::string HmacSha256(absl::string_view key, absl::string_view data) {
  std::string out(kSha256Size, '\0');
  unsigned int len = 0;
  // A non-null key pointer even for an empty key: OpenSSL treats (NULL, 0) as "reuse key".
  static const unsigned char kEmpty = 0;
  const void* key_ptr = key.empty() ? static_cast<const void*>(&kEmpty) : key.data();
  if (HMAC(EVP_sha256(), key_ptr, static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(),
           reinterpret_cast<unsigned char*>(out.data()), &len) == nullptr ||
      len != kSha256Size) {
    CryptoFailure();
  }
  return out;
}

std::string Pbkdf2HmacSha256(absl::string_view password, absl::string_view salt, int iterations) {
  std::string out(kSha256Size, '\0');
  static const char kEmpty = 0;
  const char* pass_ptr = password.empty() ? &kEmpty : password.data();
  if (iterations < 1 || PKCS5_PBKDF2_HMAC(pass_ptr, static_cast<int>(password.size()),
                                          reinterpret_cast<const unsigned char*>(salt.data()),
                                          static_cast<int>(salt.size()), iterations, EVP_sha256(),
                                          static_cast<int>(out.size()),
                                          reinterpret_cast<unsigned char*>(out.data())) != 1) {
    CryptoFailure();
  }
  return out;
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

void Cleanse(std::string& secret) {
  if (!secret.empty()) OPENSSL_cleanse(secret.data(), secret.size());
  secret.clear();
}

}  // namespace warden::pgauth
