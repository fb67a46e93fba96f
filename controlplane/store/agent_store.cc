#include "controlplane/store/agent_store.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/crypto/ed25519.h"
#include "common/util/status_macros.h"

namespace warden::store {

namespace {

void SetIdentityKey(v1::AgentInfo& info, const std::string& raw) {
  if (raw.empty()) return;
  info.set_identity_key(crypto::Ed25519KeyText(raw));
  info.set_identity_key_fingerprint(crypto::KeyFingerprint(raw));
}

}  // namespace

absl::StatusOr<v1::AgentInfo> AgentStore::Create(const std::string& name,
                                                 const std::string& token_hash,
                                                 const std::string& identity_key,
                                                 bool trust_first_key) {
  std::lock_guard<std::mutex> lock(db_.mu());
  int64_t now = NowUnix();
  ASSIGN_OR_RETURN(auto stmt, db_.Prepare("INSERT INTO agents (name, token_hash, created_at, "
                                          "identity_key, trust_first_key) VALUES (?, ?, ?, ?, ?)"));
  stmt.Bind(1, name).Bind(2, token_hash).Bind(3, now).Bind(5, trust_first_key ? 1 : 0);
  if (!identity_key.empty()) stmt.BindBlob(4, identity_key);
  absl::Status st = stmt.Run();
  if (absl::IsAlreadyExists(st)) {
    return absl::AlreadyExistsError(absl::StrCat("agent \"", name, "\" already exists"));
  }
  RETURN_IF_ERROR(st);
  v1::AgentInfo info;
  info.set_name(name);
  info.set_created_unix(now);
  SetIdentityKey(info, identity_key);
  return info;
}

absl::StatusOr<std::vector<v1::AgentInfo>> AgentStore::List() {
  std::lock_guard<std::mutex> lock(db_.mu());
  std::map<int64_t, std::vector<std::string>> served;
  {
    ASSIGN_OR_RETURN(auto stmt,
                     db_.Prepare("SELECT agent_id, name FROM connections ORDER BY name"));
    for (;;) {
      ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      served[stmt.Int(0)].push_back(stmt.Text(1));
    }
  }
  ASSIGN_OR_RETURN(
      auto stmt,
      db_.Prepare("SELECT id, name, connected, version, gateway, "
                  "applied_policy_version, last_seen, created_at, identity_key FROM agents "
                  "ORDER BY name"));
  std::vector<v1::AgentInfo> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    v1::AgentInfo& a = out.emplace_back();
    a.set_name(stmt.Text(1));
    a.set_connected(stmt.Int(2) != 0);
    a.set_version(stmt.Text(3));
    a.set_gateway(stmt.Text(4));
    a.set_applied_policy_version(stmt.Int(5));
    a.set_last_seen_unix(stmt.Int(6));
    a.set_created_unix(stmt.Int(7));
    SetIdentityKey(a, stmt.Blob(8));
    for (auto& c : served[stmt.Int(0)]) a.add_connections(c);
  }
  return out;
}

absl::Status AgentStore::Delete(const std::string& name) {
  std::lock_guard<std::mutex> lock(db_.mu());
  ASSIGN_OR_RETURN(auto uses, db_.Prepare("SELECT c.name FROM connections c JOIN agents a ON "
                                          "a.id = c.agent_id WHERE a.name = ? ORDER BY c.name"));
  uses.Bind(1, name);
  std::vector<std::string> names;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, uses.Step());
    if (!row) break;
    names.push_back(uses.Text(0));
  }
  if (!names.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("agent \"", name, "\" still serves connection(s) ", absl::StrJoin(names, ", "),
                     ": delete them first (wardenctl connections delete NAME)"));
  }
  ASSIGN_OR_RETURN(auto stmt, db_.Prepare("DELETE FROM agents WHERE name = ?"));
  RETURN_IF_ERROR(stmt.Bind(1, name).Run());
  if (db_.Changes() == 0)
    return absl::NotFoundError(absl::StrCat("agent \"", name, "\" not found"));
  return absl::OkStatus();
}

absl::StatusOr<AgentIdentity> AgentStore::FindByTokenHash(const std::string& token_hash) {
  std::lock_guard<std::mutex> lock(db_.mu());
  ASSIGN_OR_RETURN(auto stmt,
                   db_.Prepare("SELECT id, name, identity_key, trust_first_key FROM agents WHERE "
                               "token_hash = ?1 OR (previous_token_hash = ?1 AND "
                               "previous_token_expires > ?2)"));
  stmt.Bind(1, token_hash).Bind(2, NowUnix());
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return absl::UnauthenticatedError("agent token not recognised");
  return AgentIdentity{stmt.Int(0), stmt.Text(1), stmt.Blob(2), stmt.Int(3) != 0, token_hash};
}

absl::Status AgentStore::EnrolIdentityKey(int64_t id, const std::string& identity_key) {
  std::lock_guard<std::mutex> lock(db_.mu());
  ASSIGN_OR_RETURN(auto stmt, db_.Prepare("UPDATE agents SET identity_key = ? WHERE id = ? AND "
                                          "(identity_key IS NULL OR identity_key = ?)"));
  RETURN_IF_ERROR(stmt.BindBlob(1, identity_key).Bind(2, id).BindBlob(3, identity_key).Run());
  if (db_.Changes() == 0) {
    return absl::FailedPreconditionError("another identity key was enrolled for this agent first");
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::AgentInfo> AgentStore::RotateToken(const std::string& name,
                                                      const std::string& token_hash,
                                                      int64_t grace_seconds) {
  {
    std::lock_guard<std::mutex> lock(db_.mu());
    ASSIGN_OR_RETURN(auto stmt,
                     db_.Prepare("UPDATE agents SET previous_token_hash = token_hash, "
                                 "previous_token_expires = ?, token_hash = ? WHERE name = ?"));
    RETURN_IF_ERROR(
        stmt.Bind(1, NowUnix() + grace_seconds).Bind(2, token_hash).Bind(3, name).Run());
    if (db_.Changes() == 0)
      return absl::NotFoundError(absl::StrCat("agent \"", name, "\" not found"));
  }
  return Find(name);
}

absl::StatusOr<v1::AgentInfo> AgentStore::Find(const std::string& name) {
  ASSIGN_OR_RETURN(auto all, List());
  for (auto& a : all) {
    if (a.name() == name) return std::move(a);
  }
  return absl::NotFoundError(absl::StrCat("agent \"", name, "\" not found"));
}

absl::StatusOr<v1::AgentInfo> AgentStore::ResetIdentityKey(const std::string& name,
                                                           const std::string& identity_key) {
  {
    std::lock_guard<std::mutex> lock(db_.mu());
    ASSIGN_OR_RETURN(auto stmt, db_.Prepare("UPDATE agents SET identity_key = ?, "
                                            "trust_first_key = ? WHERE name = ?"));
    if (!identity_key.empty()) stmt.BindBlob(1, identity_key);
    RETURN_IF_ERROR(stmt.Bind(2, identity_key.empty() ? 1 : 0).Bind(3, name).Run());
    if (db_.Changes() == 0)
      return absl::NotFoundError(absl::StrCat("agent \"", name, "\" not found"));
  }
  return Find(name);
}

absl::StatusOr<AgentStore::Presence> AgentStore::FindPresence(const std::string& name) {
  std::lock_guard<std::mutex> lock(db_.mu());
  ASSIGN_OR_RETURN(auto stmt,
                   db_.Prepare("SELECT connected, public_key FROM agents WHERE name = ?"));
  stmt.Bind(1, name);
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return absl::NotFoundError(absl::StrCat("agent \"", name, "\" not found"));
  return Presence{stmt.Int(0) != 0, stmt.Blob(1)};
}

absl::Status AgentStore::MarkConnected(const AgentIdentity& agent, const std::string& version,
                                       const std::string& gateway, const std::string& public_key,
                                       const std::string& identity_key) {
  std::lock_guard<std::mutex> lock(db_.mu());
  ASSIGN_OR_RETURN(
      auto stmt,
      db_.Prepare("UPDATE agents SET connected = 1, version = ?1, gateway = ?2, public_key = ?3, "
                  "last_seen = ?4 WHERE id = ?5 AND identity_key = ?6 AND (token_hash = ?7 OR "
                  "(previous_token_hash = ?7 AND previous_token_expires > ?4))"));
  RETURN_IF_ERROR(stmt.Bind(1, version)
                      .Bind(2, gateway)
                      .BindBlob(3, public_key)
                      .Bind(4, NowUnix())
                      .Bind(5, agent.id)
                      .BindBlob(6, identity_key)
                      .Bind(7, agent.token_hash)
                      .Run());
  if (db_.Changes() == 0) {
    return absl::FailedPreconditionError(
        "the agent's key or token changed while it proved itself: connect again");
  }
  return absl::OkStatus();
}

absl::Status AgentStore::MarkDisconnected(int64_t id) {
  std::lock_guard<std::mutex> lock(db_.mu());
  ASSIGN_OR_RETURN(auto stmt,
                   db_.Prepare("UPDATE agents SET connected = 0, last_seen = ? WHERE id = ?"));
  return stmt.Bind(1, NowUnix()).Bind(2, id).Run();
}

absl::Status AgentStore::RecordApplied(int64_t id, int64_t policy_version) {
  std::lock_guard<std::mutex> lock(db_.mu());
  ASSIGN_OR_RETURN(auto stmt, db_.Prepare("UPDATE agents SET applied_policy_version = ?, "
                                          "last_seen = ? WHERE id = ?"));
  return stmt.Bind(1, policy_version).Bind(2, NowUnix()).Bind(3, id).Run();
}

absl::Status AgentStore::Touch(int64_t id) {
  std::lock_guard<std::mutex> lock(db_.mu());
  ASSIGN_OR_RETURN(auto stmt, db_.Prepare("UPDATE agents SET last_seen = ? WHERE id = ?"));
  return stmt.Bind(1, NowUnix()).Bind(2, id).Run();
}

absl::Status AgentStore::MarkAllDisconnected() {
  std::lock_guard<std::mutex> lock(db_.mu());
  return db_.Exec("UPDATE agents SET connected = 0");
}

}  // namespace warden::store
