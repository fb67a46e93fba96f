#include "common/masking/value_hasher.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace warden::masking {
namespace {

constexpr size_t kBlockSize = 64;  // SHA-256's block size: the HMAC pad length
constexpr size_t kDigestSize = 32;
constexpr uint8_t kInnerPad = 0x36;
constexpr uint8_t kOuterPad = 0x5c;

bool Sha256(std::string_view data, uint8_t* out) {
  unsigned int len = 0;
  return EVP_Digest(data.data(), data.size(), out, &len, EVP_sha256(), nullptr) == 1;
}

}  // namespace

void ValueHasher::MdCtxFree::operator()(evp_md_ctx_st* ctx) const { EVP_MD_CTX_free(ctx); }

ValueHasher::ValueHasher(MdCtx inner, MdCtx outer)
    : inner_(std::move(inner)), outer_(std::move(outer)) {}
ValueHasher::ValueHasher(ValueHasher&&) noexcept = default;
ValueHasher& ValueHasher::operator=(ValueHasher&&) noexcept = default;
ValueHasher::~ValueHasher() = default;

absl::StatusOr<ValueHasher> ValueHasher::Create(std::string_view key) {
  if (key.size() < kMinKeySize) {
    return absl::InvalidArgumentError(absl::StrCat("masking hash key must be at least ",
                                                   kMinKeySize, " bytes, got ", key.size()));
  }
  // RFC 2104 section 2: a key longer than the block is replaced by its digest, and the key is
  // zero-padded to the block.
  std::array<uint8_t, kBlockSize> block{};
  if (key.size() > kBlockSize) {
    if (!Sha256(key, block.data())) return absl::InternalError("SHA-256 of the masking key failed");
  } else {
    std::copy(key.begin(), key.end(), block.begin());
  }
  const auto keyed = [&block](uint8_t pad) -> MdCtx {
    std::array<uint8_t, kBlockSize> padded;
    for (size_t i = 0; i < kBlockSize; ++i) padded[i] = block[i] ^ pad;
    MdCtx ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
        EVP_DigestUpdate(ctx.get(), padded.data(), padded.size()) != 1) {
      return nullptr;
    }
    return ctx;
  };
  MdCtx inner = keyed(kInnerPad);
  MdCtx outer = keyed(kOuterPad);
  if (!inner || !outer) return absl::InternalError("cannot initialise HMAC-SHA-256");
  return ValueHasher(std::move(inner), std::move(outer));
}

std::string ValueHasher::Hash(std::string_view value) const {
  std::array<uint8_t, kDigestSize> inner_digest;
  std::array<uint8_t, kDigestSize> digest;
  unsigned int len = 0;
  MdCtx ctx(EVP_MD_CTX_new());
  const bool ok = ctx && EVP_MD_CTX_copy_ex(ctx.get(), inner_.get()) == 1 &&
                  EVP_DigestUpdate(ctx.get(), value.data(), value.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx.get(), inner_digest.data(), &len) == 1 &&
                  EVP_MD_CTX_copy_ex(ctx.get(), outer_.get()) == 1 &&
                  EVP_DigestUpdate(ctx.get(), inner_digest.data(), inner_digest.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx.get(), digest.data(), &len) == 1;
  // Fails closed: an allocation failure inside OpenSSL yields a constant, never the value.
  if (!ok) return std::string(kDigestHexSize, '*');
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(kDigestHexSize, '0');
  for (size_t i = 0; i < kDigestHexSize / 2; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 0xf];
  }
  return out;
}

}  // namespace warden::masking
