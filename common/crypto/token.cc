#include "common/crypto/token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"
#include "common/crypto/random.h"

namespace warden::crypto {

namespace {
constexpr char kBase62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
}  // namespace

std::string GenerateToken(absl::string_view prefix) {
  // 43 base62 digits carry 256.03 bits; rejection sampling keeps every digit uniform.
  std::string out(prefix);
  while (out.size() < prefix.size() + 43) {
    for (unsigned char b : RandomBytes(64)) {
      if (b >= 248) continue;  // 248 = 62 * 4: keep the modulo unbiased
      out.push_back(kBase62[b % 62]);
      if (out.size() == prefix.size() + 43) break;
    }
  }
  return out;
}

std::string Sha256Hex(absl::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

std::string HashToken(absl::string_view token) { return Sha256Hex(token); }

std::string HmacSha256Hex(absl::string_view key, absl::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t len = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, sizeof mac,
                &len) == nullptr) {
    return "";
  }
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(mac), len));
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string GeneratePublicId(absl::string_view prefix) {
  return std::string(prefix) + absl::BytesToHexString(RandomBytes(6));
}

}  // namespace warden::crypto
