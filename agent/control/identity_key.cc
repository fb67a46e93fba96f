#include "agent/control/identity_key.h"

#include <openssl/crypto.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/util/files.h"

namespace warden::agent {

absl::StatusOr<crypto::Ed25519KeyPair> LoadOrCreateIdentityKey(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) {
      return absl::FailedPreconditionError(
          absl::StrCat("identity key ", path, ": ", std::strerror(errno)));
    }
    crypto::Ed25519KeyPair pair = crypto::Ed25519KeyPair::Generate();
    auto pem = crypto::Ed25519PrivateKeyPem(pair.private_key);
    if (!pem.ok()) return pem.status();
    absl::Status written = WriteFileAtomic(path, *pem, 0600);
    OPENSSL_cleanse(pem->data(), pem->size());
    if (!written.ok()) return written;
    spdlog::info("created identity key {} ({})", path, crypto::KeyFingerprint(pair.public_key));
    return pair;
  }
  // As ssh does for private keys: a key others can read may be someone else's copy too.
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("identity key ", path, " can be read by other users: chmod 600 ", path));
  }
  auto pem = ReadFile(path);
  if (!pem.ok()) return pem.status();
  auto pair = crypto::ParseEd25519PrivateKeyPem(*pem);
  OPENSSL_cleanse(pem->data(), pem->size());
  if (!pair.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("identity key ", path, ": ", pair.status().message()));
  }
  return pair;
}

}  // namespace warden::agent
