#include "common/crypto/keyring.h"

#include <openssl/evp.h>

#include <memory>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/crypto/random.h"
#include "common/util/files.h"

namespace warden::crypto {

namespace {

constexpr size_t kKeyLen = 32;
constexpr size_t kNonceLen = 12;
constexpr size_t kTagLen = 16;

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char* U(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

absl::StatusOr<Keyring> Keyring::Load(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  auto ring = Parse(*text);
  if (!ring.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("master key file ", path, ": ", ring.status().message()));
  }
  return ring;
}

absl::StatusOr<Keyring> Keyring::Parse(absl::string_view text) {
  Keyring ring;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(line, absl::MaxSplits(':', 1));
    std::string key;
    // Never echo the line: it is key material.
    if (kv.first.empty() || kv.second.size() != kKeyLen * 2 ||
        !absl::c_all_of(kv.second, [](char c) { return absl::ascii_isxdigit(c); })) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line_no, ": expected \"<key-id>:<64 hex characters>\""));
    }
    key = absl::HexStringToBytes(kv.second);
    std::string id(kv.first);
    if (ring.keys_.count(id)) {
      return absl::InvalidArgumentError(absl::StrCat("line ", line_no, ": duplicate key id ", id));
    }
    if (ring.current_.empty()) ring.current_ = id;
    ring.keys_[id] = std::move(key);
  }
  if (ring.current_.empty()) return absl::InvalidArgumentError("no key found");
  return ring;
}

std::string Keyring::GenerateKeyFile(absl::string_view key_id) {
  return absl::StrCat(key_id, ":", absl::BytesToHexString(RandomBytes(kKeyLen)), "\n");
}

absl::StatusOr<Sealed> Keyring::Seal(absl::string_view plaintext, absl::string_view aad) const {
  const std::string& key = keys_.at(current_);
  std::string nonce = RandomBytes(kNonceLen);
  std::string blob = nonce;
  blob.resize(kNonceLen + plaintext.size() + kTagLen);
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int len = 0;
  auto* out = reinterpret_cast<unsigned char*>(blob.data()) + kNonceLen;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, U(key), U(nonce)) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out, &len, U(plaintext), static_cast<int>(plaintext.size())) !=
          1 ||
      EVP_EncryptFinal_ex(ctx.get(), out + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagLen, out + plaintext.size()) != 1) {
    return absl::InternalError("AES-256-GCM encryption failed");
  }
  return Sealed{current_, std::move(blob)};
}

absl::StatusOr<std::string> Keyring::Open(const Sealed& sealed, absl::string_view aad) const {
  auto it = keys_.find(sealed.key_id);
  if (it == keys_.end()) {
    return absl::FailedPreconditionError(absl::StrCat("sealed with key id \"", sealed.key_id,
                                                      "\", which is not in the master key file"));
  }
  if (sealed.blob.size() < kNonceLen + kTagLen) {
    return absl::DataLossError("sealed value is truncated");
  }
  absl::string_view blob = sealed.blob;
  absl::string_view nonce = blob.substr(0, kNonceLen);
  absl::string_view ct = blob.substr(kNonceLen, blob.size() - kNonceLen - kTagLen);
  std::string tag(blob.substr(blob.size() - kTagLen));
  std::string plain(ct.size(), '\0');
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int len = 0;
  auto* out = reinterpret_cast<unsigned char*>(plain.data());
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, U(it->second), U(nonce)) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), out, &len, U(ct), static_cast<int>(ct.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagLen, tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), out + len, &len) != 1) {
    return absl::DataLossError("sealed value failed authentication (tampered or wrong key)");
  }
  return plain;
}

}  // namespace warden::crypto
