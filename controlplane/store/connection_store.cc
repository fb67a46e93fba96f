#include "controlplane/store/connection_store.h"

#include "absl/strings/str_cat.h"
#include "common/util/status_macros.h"

namespace warden::store {

namespace {
constexpr char kSelect[] =
    "SELECT c.name, c.protocol, a.name, c.host, c.port, c.database, c.tls_mode, c.read_only, "
    "c.created_at, cr.username, cr.key_id, cr.updated_at, c.max_sessions_per_identity "
    "FROM connections c JOIN agents a ON a.id = c.agent_id "
    "LEFT JOIN credentials cr ON cr.connection_id = c.id ";

absl::Status NotFound(const std::string& name) {
  return absl::NotFoundError(absl::StrCat("connection \"", name, "\" not found"));
}
}  // namespace

std::string CredentialAad(const std::string& connection, const std::string& username) {
  return absl::StrCat("warden.credential.v1\n", connection, "\n", username);
}

absl::StatusOr<v1::ConnectionInfo> ConnectionStore::Create(const v1::ConnectionInfo& c) {
  {
    std::lock_guard<std::mutex> lock(db_.mu());
    ASSIGN_OR_RETURN(auto agent, db_.Prepare("SELECT id FROM agents WHERE name = ?"));
    agent.Bind(1, c.agent());
    ASSIGN_OR_RETURN(bool found, agent.Step());
    if (!found) {
      return absl::NotFoundError(absl::StrCat("agent \"", c.agent(),
                                              "\" not found: create it first with wardenctl "
                                              "agents create ",
                                              c.agent()));
    }
    ASSIGN_OR_RETURN(auto stmt, db_.Prepare("INSERT INTO connections (name, protocol, agent_id, "
                                            "host, port, database, tls_mode, read_only, "
                                            "created_at, max_sessions_per_identity) VALUES "
                                            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    absl::Status st = stmt.Bind(1, c.name())
                          .Bind(2, c.protocol())
                          .Bind(3, agent.Int(0))
                          .Bind(4, c.host())
                          .Bind(5, static_cast<int64_t>(c.port()))
                          .Bind(6, c.database())
                          .Bind(7, c.tls_mode())
                          .Bind(8, int64_t{c.read_only()})
                          .Bind(9, NowUnix())
                          .Bind(10, int64_t{c.max_sessions_per_identity()})
                          .Run();
    if (absl::IsAlreadyExists(st)) {
      return absl::AlreadyExistsError(absl::StrCat("connection \"", c.name(), "\" already exists"));
    }
    RETURN_IF_ERROR(st);
  }
  return Get(c.name());
}

absl::StatusOr<std::vector<v1::ConnectionInfo>> ConnectionStore::Query(const std::string& where,
                                                                       const std::string& arg) {
  std::lock_guard<std::mutex> lock(db_.mu());
  ASSIGN_OR_RETURN(auto stmt, db_.Prepare(absl::StrCat(kSelect, where, " ORDER BY c.name")));
  if (!arg.empty()) stmt.Bind(1, arg);
  std::vector<v1::ConnectionInfo> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    v1::ConnectionInfo& c = out.emplace_back();
    c.set_name(stmt.Text(0));
    c.set_protocol(stmt.Text(1));
    c.set_agent(stmt.Text(2));
    c.set_host(stmt.Text(3));
    c.set_port(static_cast<uint32_t>(stmt.Int(4)));
    c.set_database(stmt.Text(5));
    c.set_tls_mode(stmt.Text(6));
    c.set_read_only(stmt.Int(7) != 0);
    c.set_created_unix(stmt.Int(8));
    c.set_has_credential(!stmt.Text(10).empty());
    c.set_credential_username(stmt.Text(9));
    c.set_credential_key_id(stmt.Text(10));
    c.set_credential_updated_unix(stmt.Int(11));
    c.set_max_sessions_per_identity(static_cast<int32_t>(stmt.Int(12)));
  }
  return out;
}

absl::StatusOr<std::vector<v1::ConnectionInfo>> ConnectionStore::List() { return Query("", ""); }

absl::StatusOr<v1::ConnectionInfo> ConnectionStore::Get(const std::string& name) {
  ASSIGN_OR_RETURN(auto rows, Query("WHERE c.name = ?", name));
  if (rows.empty()) return NotFound(name);
  return rows.front();
}

absl::Status ConnectionStore::Delete(const std::string& name) {
  std::lock_guard<std::mutex> lock(db_.mu());
  ASSIGN_OR_RETURN(auto stmt, db_.Prepare("DELETE FROM connections WHERE name = ?"));
  RETURN_IF_ERROR(stmt.Bind(1, name).Run());
  if (db_.Changes() == 0) return NotFound(name);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::ServedConnection>> ConnectionStore::ServedBy(int64_t agent_id) {
  std::lock_guard<std::mutex> lock(db_.mu());
  ASSIGN_OR_RETURN(auto stmt, db_.Prepare("SELECT name, protocol, host, port, database, tls_mode, "
                                          "read_only FROM connections WHERE agent_id = ? "
                                          "ORDER BY name"));
  stmt.Bind(1, agent_id);
  std::vector<v1::ServedConnection> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    v1::ServedConnection& c = out.emplace_back();
    c.set_name(stmt.Text(0));
    c.set_protocol(stmt.Text(1));
    c.set_host(stmt.Text(2));
    c.set_port(static_cast<uint32_t>(stmt.Int(3)));
    c.set_database(stmt.Text(4));
    c.set_tls_mode(stmt.Text(5));
    c.set_read_only(stmt.Int(6) != 0);
  }
  return out;
}

absl::Status ConnectionStore::SetCredential(const std::string& connection,
                                            const std::string& username,
                                            const std::string& secret) {
  ASSIGN_OR_RETURN(crypto::Sealed sealed,
                   keyring_.Seal(secret, CredentialAad(connection, username)));
  std::lock_guard<std::mutex> lock(db_.mu());
  ASSIGN_OR_RETURN(auto stmt,
                   db_.Prepare("INSERT INTO credentials (connection_id, username, key_id, sealed, "
                               "updated_at) SELECT id, ?, ?, ?, ? FROM connections WHERE name = ? "
                               "ON CONFLICT (connection_id) DO UPDATE SET username = "
                               "excluded.username, key_id = excluded.key_id, sealed = "
                               "excluded.sealed, updated_at = excluded.updated_at"));
  RETURN_IF_ERROR(stmt.Bind(1, username)
                      .Bind(2, sealed.key_id)
                      .BindBlob(3, sealed.blob)
                      .Bind(4, NowUnix())
                      .Bind(5, connection)
                      .Run());
  if (db_.Changes() == 0) return NotFound(connection);
  return absl::OkStatus();
}

absl::StatusOr<Credential> ConnectionStore::OpenCredential(const std::string& connection) {
  crypto::Sealed sealed;
  Credential cred;
  {
    std::lock_guard<std::mutex> lock(db_.mu());
    ASSIGN_OR_RETURN(auto stmt, db_.Prepare("SELECT cr.username, cr.key_id, cr.sealed FROM "
                                            "credentials cr JOIN connections c ON c.id = "
                                            "cr.connection_id WHERE c.name = ?"));
    stmt.Bind(1, connection);
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) {
      return absl::FailedPreconditionError(absl::StrCat(
          "connection \"", connection, "\" has no credential: run wardenctl credentials set ",
          connection, " --username USER --password-stdin"));
    }
    cred.username = stmt.Text(0);
    sealed.key_id = stmt.Text(1);
    sealed.blob = stmt.Blob(2);
  }
  auto secret = keyring_.Open(sealed, CredentialAad(connection, cred.username));
  if (!secret.ok()) {
    return absl::Status(
        secret.status().code(),
        absl::StrCat("credential of connection \"", connection, "\": ", secret.status().message()));
  }
  cred.secret = std::move(*secret);
  return cred;
}

}  // namespace warden::store
