// Keyed, deterministic digests of masked values: HMAC-SHA-256 (RFC 2104) under a key the
// caller supplies, printed as the first 16 lower-case hex digits (64 bits). Equal inputs give
// equal outputs under one key, so joins, GROUP BY and COUNT(DISTINCT) over masked values still
// work; without the key, a dictionary of likely values (all 10^9 SSNs, a list of emails)
// cannot be hashed to reverse the mapping, which an unkeyed hash would allow. 64 bits keep
// accidental collisions negligible below about 4 billion distinct values (birthday bound)
// while fitting in short text columns.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

// OpenSSL's digest context, forward-declared to keep <openssl/evp.h> out of this header.
struct evp_md_ctx_st;

namespace warden::masking {

class ValueHasher {
 public:
  // The shortest key accepted: 128 bits, so the key cannot be guessed before the values.
  static constexpr size_t kMinKeySize = 16;
  // Hex digits of the digest that are kept.
  static constexpr size_t kDigestHexSize = 16;

  // InvalidArgument when `key` is shorter than kMinKeySize; Internal when OpenSSL fails.
  [[nodiscard]] static absl::StatusOr<ValueHasher> Create(std::string_view key);

  ValueHasher(ValueHasher&&) noexcept;
  ValueHasher& operator=(ValueHasher&&) noexcept;
  ~ValueHasher();

  // The digest of `value`. Thread-safe: the keyed states are only read.
  std::string Hash(std::string_view value) const;

 private:
  struct MdCtxFree {
    void operator()(evp_md_ctx_st* ctx) const;
  };
  using MdCtx = std::unique_ptr<evp_md_ctx_st, MdCtxFree>;

  ValueHasher(MdCtx inner, MdCtx outer);

  // SHA-256 states that have already absorbed key XOR ipad and key XOR opad: every hash then
  // costs two copies and two short digests instead of re-deriving the pads.
  MdCtx inner_;
  MdCtx outer_;
};

}  // namespace warden::masking
