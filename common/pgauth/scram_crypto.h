// The SCRAM-SHA-256 primitives of RFC 5802 §2.2 instantiated with SHA-256 (RFC 7677 §3):
// H(), HMAC() and Hi() (= PBKDF2-HMAC-SHA-256), over OpenSSL 3.
#pragma once

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace warden::pgauth {

inline constexpr size_t kSha256Size = 32;

// H(str): SHA-256, 32 raw bytes.
std::string Sha256(absl::string_view data);

// HMAC(key, str) with SHA-256, 32 raw bytes.
std::string HmacSha256(absl::string_view key, absl::string_view data);

// Hi(str, salt, i): PBKDF2 with HMAC-SHA-256 and a 32-byte output, which is exactly RFC 5802
// §2.2's Hi. `iterations` must be >= 1; the caller bounds it (a hostile server picks it).
std::string Pbkdf2HmacSha256(absl::string_view password, absl::string_view salt, int iterations);

// Length-revealing but otherwise constant-time equality (CRYPTO_memcmp): for comparing a
// received signature with the expected one without a timing oracle.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

// Overwrites the string's bytes (OPENSSL_cleanse) and empties it.
void Cleanse(std::string& secret);

}  // namespace warden::pgauth
