#include "controlplane/store/migrations.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "controlplane/store/database.h"

namespace warden::store {

namespace {

// Append only: never edit a migration that has shipped.
const std::vector<const char*>& Migrations() {
  static const std::vector<const char*> kMigrations = {
      // 1: the foundation schema.
      R"sql(
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO meta (key, value) VALUES ('policy_version', 0);

CREATE TABLE agents (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  token_hash TEXT NOT NULL UNIQUE,
  public_key BLOB,
  version TEXT NOT NULL DEFAULT '',
  gateway TEXT NOT NULL DEFAULT '',
  connected INTEGER NOT NULL DEFAULT 0,
  applied_policy_version INTEGER NOT NULL DEFAULT 0,
  last_seen INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL);

CREATE TABLE connections (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  protocol TEXT NOT NULL,
  agent_id INTEGER NOT NULL REFERENCES agents(id) ON DELETE RESTRICT,
  host TEXT NOT NULL,
  port INTEGER NOT NULL,
  database TEXT NOT NULL,
  tls_mode TEXT NOT NULL,
  read_only INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL);

CREATE TABLE credentials (
  connection_id INTEGER PRIMARY KEY REFERENCES connections(id) ON DELETE CASCADE,
  username TEXT NOT NULL,
  key_id TEXT NOT NULL,
  sealed BLOB NOT NULL,
  updated_at INTEGER NOT NULL);

CREATE TABLE identities (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL);

CREATE TABLE access_tokens (
  id INTEGER PRIMARY KEY,
  public_id TEXT NOT NULL UNIQUE,
  identity_id INTEGER NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
  token_hash TEXT NOT NULL UNIQUE,
  groups TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER NOT NULL DEFAULT 0);

CREATE TABLE policies (
  name TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  source TEXT NOT NULL,
  spec BLOB NOT NULL,
  updated_at INTEGER NOT NULL);

CREATE TABLE admin_tokens (
  id INTEGER PRIMARY KEY,
  public_id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER NOT NULL DEFAULT 0);
)sql",
      // 2: the deployment-wide masking key, sealed with the master key (masking_key_store.h).
      R"sql(
CREATE TABLE masking_key (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  key_id TEXT NOT NULL,
  sealed BLOB NOT NULL,
  created_at INTEGER NOT NULL);
)sql",
      // 3: a cap on one identity's live sessions per connection (ConnectionInfo).
      R"sql(
ALTER TABLE connections ADD COLUMN max_sessions_per_identity INTEGER NOT NULL DEFAULT 0;
)sql",
      // 4: agents prove an enrolled Ed25519 identity key; gateways have their own tokens; the
      // control plane's keys (masking, signing) share one table (server_key_store.h).
      R"sql(
ALTER TABLE agents ADD COLUMN identity_key BLOB;
ALTER TABLE agents ADD COLUMN previous_token_hash TEXT;
ALTER TABLE agents ADD COLUMN previous_token_expires INTEGER NOT NULL DEFAULT 0;
-- Agents from before enrolment keep working as before (their token alone vouched for them):
-- they enrol the first key they prove. New agents say so explicitly (agents create).
ALTER TABLE agents ADD COLUMN trust_first_key INTEGER NOT NULL DEFAULT 1;

CREATE TABLE server_keys (
  name TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  sealed BLOB NOT NULL,
  created_at INTEGER NOT NULL);
INSERT INTO server_keys (name, key_id, sealed, created_at)
  SELECT 'masking_key', key_id, sealed, created_at FROM masking_key;
DROP TABLE masking_key;

CREATE TABLE gateways (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  last_seen INTEGER NOT NULL DEFAULT 0);

CREATE TABLE gateway_tokens (
  id INTEGER PRIMARY KEY,
  gateway_id INTEGER NOT NULL REFERENCES gateways(id) ON DELETE CASCADE,
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL DEFAULT 0);
)sql",
      // 5: admin tokens name who presents them and what they may do (AdminTokenInfo); the
      // tokens issued before keep doing everything.
      R"sql(
ALTER TABLE admin_tokens ADD COLUMN identity TEXT NOT NULL DEFAULT '';
ALTER TABLE admin_tokens ADD COLUMN groups TEXT NOT NULL DEFAULT '';
ALTER TABLE admin_tokens ADD COLUMN roles TEXT NOT NULL DEFAULT 'admin';
)sql",
      // 6: the approval queue (approval_store.h).
      R"sql(
CREATE TABLE approval_requests (
  id INTEGER PRIMARY KEY,
  public_id TEXT NOT NULL UNIQUE,
  state INTEGER NOT NULL,
  session_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  body BLOB NOT NULL);
CREATE INDEX approval_requests_by_state ON approval_requests (state, expires_at);
CREATE INDEX approval_requests_by_session ON approval_requests (session_id);
)sql",
      // 7: where an approver is told of requests they may decide (AdminTokenInfo.email).
      R"sql(
ALTER TABLE admin_tokens ADD COLUMN email TEXT NOT NULL DEFAULT '';
)sql",
  };
  return kMigrations;
}

}  // namespace

int LatestSchemaVersion() { return static_cast<int>(Migrations().size()); }

absl::Status ApplyMigrations(Database& db, const std::string& path) {
  std::lock_guard<std::mutex> lock(db.mu());
  int have = db.SchemaVersion();
  int want = LatestSchemaVersion();
  if (have > want) {
    return absl::FailedPreconditionError(absl::StrCat(
        "store ", path, " has schema version ", have, " but this warden-controlplane knows only ",
        want, ": it was written by a newer Warden. Run the newer version, or restore a backup."));
  }
  for (int v = have + 1; v <= want; ++v) {
    Database::Tx tx(db);
    if (!tx.begin_status().ok()) return tx.begin_status();
    if (auto st = db.Exec(Migrations()[v - 1]); !st.ok()) {
      return absl::InternalError(absl::StrCat("migration ", v, " failed: ", st.message()));
    }
    if (auto st = db.Exec(absl::StrCat("PRAGMA user_version = ", v)); !st.ok()) return st;
    if (auto st = tx.Commit(); !st.ok()) return st;
  }
  return absl::OkStatus();
}

}  // namespace warden::store
