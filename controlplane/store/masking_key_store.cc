#include "controlplane/store/masking_key_store.h"

#include <openssl/crypto.h>

#include "absl/strings/str_cat.h"
#include "common/crypto/random.h"
#include "common/util/status_macros.h"

namespace warden::store {

namespace {

// Binds the ciphertext to its row: a credential's ciphertext copied here fails to open.
constexpr char kMaskingKeyAad[] = "warden.masking_key.v1";

}  // namespace

absl::StatusOr<std::string> MaskingKeyStore::LoadOrCreate() {
  std::lock_guard<std::mutex> lock(db_.mu());
  Database::Tx tx(db_);
  RETURN_IF_ERROR(tx.begin_status());
  ASSIGN_OR_RETURN(auto select, db_.Prepare("SELECT key_id, sealed FROM masking_key WHERE id = 1"));
  ASSIGN_OR_RETURN(bool row, select.Step());
  if (row) {
    crypto::Sealed sealed{select.Text(0), select.Blob(1)};
    auto key = keyring_.Open(sealed, kMaskingKeyAad);
    if (!key.ok()) {
      return absl::Status(key.status().code(),
                          absl::StrCat("the stored masking key: ", key.status().message()));
    }
    if (key->size() != kMaskingKeyLen) {
      return absl::DataLossError(
          absl::StrCat("the stored masking key has ", key->size(), " bytes, not ", kMaskingKeyLen));
    }
    return key;
  }
  std::string key = crypto::RandomBytes(kMaskingKeyLen);
  auto sealed = keyring_.Seal(key, kMaskingKeyAad);
  if (!sealed.ok()) {
    OPENSSL_cleanse(key.data(), key.size());
    return sealed.status();
  }
  ASSIGN_OR_RETURN(auto insert, db_.Prepare("INSERT INTO masking_key (id, key_id, sealed, "
                                            "created_at) VALUES (1, ?, ?, ?)"));
  RETURN_IF_ERROR(
      insert.Bind(1, sealed->key_id).BindBlob(2, sealed->blob).Bind(3, NowUnix()).Run());
  RETURN_IF_ERROR(tx.Commit());
  return key;
}

}  // namespace warden::store
