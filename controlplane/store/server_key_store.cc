#include "controlplane/store/server_key_store.h"

#include <openssl/crypto.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/crypto/ed25519.h"
#include "common/crypto/random.h"
#include "common/util/status_macros.h"

namespace warden::store {

absl::StatusOr<std::string> ServerKeyStore::MaskingKey() {
  return LoadOrCreate("masking_key", kMaskingKeyLen,
                      [] { return crypto::RandomBytes(kMaskingKeyLen); });
}

absl::StatusOr<std::string> ServerKeyStore::SigningKey() {
  return LoadOrCreate("signing_key", crypto::kEd25519KeyLen,
                      [] { return crypto::Ed25519KeyPair::Generate().private_key; });
}

absl::StatusOr<std::string> ServerKeyStore::LoadOrCreate(const std::string& name, size_t len,
                                                         const std::function<std::string()>& make) {
  // Binds the ciphertext to its row: a credential's (or another key's) ciphertext copied here
  // fails to open.
  const std::string aad = absl::StrCat("warden.", name, ".v1");
  const std::string what = absl::StrReplaceAll(name, {{"_", " "}});
  std::lock_guard<std::mutex> lock(db_.mu());
  Database::Tx tx(db_);
  RETURN_IF_ERROR(tx.begin_status());
  ASSIGN_OR_RETURN(auto select,
                   db_.Prepare("SELECT key_id, sealed FROM server_keys WHERE name = ?"));
  select.Bind(1, name);
  ASSIGN_OR_RETURN(bool row, select.Step());
  if (row) {
    crypto::Sealed sealed{select.Text(0), select.Blob(1)};
    auto key = keyring_.Open(sealed, aad);
    if (!key.ok()) {
      return absl::Status(key.status().code(),
                          absl::StrCat("the stored ", what, ": ", key.status().message()));
    }
    if (key->size() != len) {
      return absl::DataLossError(
          absl::StrCat("the stored ", what, " has ", key->size(), " bytes, not ", len));
    }
    return key;
  }
  std::string key = make();
  auto sealed = keyring_.Seal(key, aad);
  if (!sealed.ok()) {
    OPENSSL_cleanse(key.data(), key.size());
    return sealed.status();
  }
  ASSIGN_OR_RETURN(auto insert, db_.Prepare("INSERT INTO server_keys (name, key_id, sealed, "
                                            "created_at) VALUES (?, ?, ?, ?)"));
  RETURN_IF_ERROR(insert.Bind(1, name)
                      .Bind(2, sealed->key_id)
                      .BindBlob(3, sealed->blob)
                      .Bind(4, NowUnix())
                      .Run());
  RETURN_IF_ERROR(tx.Commit());
  return key;
}

}  // namespace warden::store
