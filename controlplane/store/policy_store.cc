#include "controlplane/store/policy_store.h"

#include "absl/strings/str_cat.h"
#include "common/util/status_macros.h"

namespace warden::store {

absl::StatusOr<int64_t> PolicyStore::VersionLocked() {
  ASSIGN_OR_RETURN(auto stmt, db_.Prepare("SELECT value FROM meta WHERE key = 'policy_version'"));
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return absl::InternalError("store is missing its policy_version row");
  return stmt.Int(0);
}

absl::StatusOr<int64_t> PolicyStore::BumpLocked() {
  RETURN_IF_ERROR(db_.Exec("UPDATE meta SET value = value + 1 WHERE key = 'policy_version'"));
  return VersionLocked();
}

absl::StatusOr<int64_t> PolicyStore::CurrentVersion() {
  std::lock_guard<std::mutex> lock(db_.mu());
  return VersionLocked();
}

absl::StatusOr<ApplyResult> PolicyStore::Apply(const v1::Policy& spec, const std::string& source) {
  std::lock_guard<std::mutex> lock(db_.mu());
  Database::Tx tx(db_);
  RETURN_IF_ERROR(tx.begin_status());
  ApplyResult result;
  ASSIGN_OR_RETURN(auto existing, QueryLocked(spec.name()));
  if (!existing.empty() && existing.front().source() == source) {
    ASSIGN_OR_RETURN(result.version, VersionLocked());
    result.policy = existing.front();
    return result;  // same document again: no new version, nothing to push
  }
  ASSIGN_OR_RETURN(result.version, BumpLocked());
  v1::Policy stored = spec;
  stored.set_version(result.version);
  int64_t now = NowUnix();
  ASSIGN_OR_RETURN(auto stmt, db_.Prepare("INSERT INTO policies (name, version, source, spec, "
                                          "updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) "
                                          "DO UPDATE SET version = excluded.version, source = "
                                          "excluded.source, spec = excluded.spec, updated_at = "
                                          "excluded.updated_at"));
  RETURN_IF_ERROR(stmt.Bind(1, spec.name())
                      .Bind(2, result.version)
                      .Bind(3, source)
                      .BindBlob(4, stored.SerializeAsString())
                      .Bind(5, now)
                      .Run());
  RETURN_IF_ERROR(tx.Commit());
  result.changed = true;
  result.policy.set_name(spec.name());
  result.policy.set_version(result.version);
  result.policy.set_updated_unix(now);
  *result.policy.mutable_spec() = std::move(stored);
  result.policy.set_source(source);
  return result;
}

absl::StatusOr<std::vector<v1::PolicyInfo>> PolicyStore::QueryLocked(const std::string& name) {
  ASSIGN_OR_RETURN(auto stmt, db_.Prepare(absl::StrCat(
                                  "SELECT name, version, updated_at, spec, source FROM policies ",
                                  name.empty() ? "" : "WHERE name = ? ", "ORDER BY name")));
  if (!name.empty()) stmt.Bind(1, name);
  std::vector<v1::PolicyInfo> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    v1::PolicyInfo& p = out.emplace_back();
    p.set_name(stmt.Text(0));
    p.set_version(stmt.Int(1));
    p.set_updated_unix(stmt.Int(2));
    if (!p.mutable_spec()->ParseFromString(stmt.Blob(3))) {
      return absl::DataLossError(absl::StrCat("stored policy \"", p.name(), "\" is corrupt"));
    }
    p.set_source(stmt.Text(4));
  }
  return out;
}

absl::StatusOr<std::vector<v1::PolicyInfo>> PolicyStore::List() {
  std::lock_guard<std::mutex> lock(db_.mu());
  return QueryLocked("");
}

absl::StatusOr<v1::PolicyInfo> PolicyStore::Get(const std::string& name) {
  std::lock_guard<std::mutex> lock(db_.mu());
  ASSIGN_OR_RETURN(auto rows, QueryLocked(name));
  if (rows.empty()) return absl::NotFoundError(absl::StrCat("policy \"", name, "\" not found"));
  return rows.front();
}

absl::StatusOr<int64_t> PolicyStore::Delete(const std::string& name) {
  std::lock_guard<std::mutex> lock(db_.mu());
  Database::Tx tx(db_);
  RETURN_IF_ERROR(tx.begin_status());
  ASSIGN_OR_RETURN(auto stmt, db_.Prepare("DELETE FROM policies WHERE name = ?"));
  RETURN_IF_ERROR(stmt.Bind(1, name).Run());
  if (db_.Changes() == 0)
    return absl::NotFoundError(absl::StrCat("policy \"", name, "\" not found"));
  ASSIGN_OR_RETURN(int64_t version, BumpLocked());
  RETURN_IF_ERROR(tx.Commit());
  return version;
}

absl::StatusOr<v1::PolicySnapshot> PolicyStore::Snapshot() {
  std::lock_guard<std::mutex> lock(db_.mu());
  v1::PolicySnapshot snap;
  ASSIGN_OR_RETURN(int64_t version, VersionLocked());
  snap.set_version(version);
  ASSIGN_OR_RETURN(auto rows, QueryLocked(""));
  for (auto& p : rows) {
    v1::Policy* policy = snap.add_policies();
    *policy = std::move(*p.mutable_spec());
    policy->clear_tests();  // for authors (wardenctl policies test); agents enforce, not test
  }
  return snap;
}

}  // namespace warden::store
