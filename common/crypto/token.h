// Bearer tokens: random 256-bit secrets with a recognisable prefix (so secret scanners and
// people can tell what leaked), stored only as SHA-256 hashes.
#pragma once

#include <string>
#include <string_view>

#include "absl/strings/string_view.h"

namespace warden::crypto {

inline constexpr absl::string_view kAccessTokenPrefix = "wdn_";
inline constexpr absl::string_view kAgentTokenPrefix = "wdnag_";
inline constexpr absl::string_view kAdminTokenPrefix = "wdnadm_";
inline constexpr absl::string_view kGatewayTokenPrefix = "wdngw_";

// prefix + 43 base62 characters (256 bits of entropy).
std::string GenerateToken(absl::string_view prefix);

// Hex SHA-256 of the token: what the store keeps.
std::string HashToken(absl::string_view token);

// Lower-case hex of the SHA-256 digest of data.
std::string Sha256Hex(absl::string_view data);

// HMAC-SHA-256 of `data` under `key`, hex; empty if OpenSSL fails.
std::string HmacSha256Hex(absl::string_view key, absl::string_view data);

// Compares in time independent of where the inputs differ.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

// A short public id for listing and revoking ("tok_" + 12 hex characters), random.
std::string GeneratePublicId(absl::string_view prefix);

}  // namespace warden::crypto
