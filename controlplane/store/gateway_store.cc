#include "controlplane/store/gateway_store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/crypto/token.h"
#include "common/util/status_macros.h"

namespace warden::store {

namespace {

// last_seen is written at most this often: every Authorize authenticates, and a write per
// session would cost the store an fsync.
constexpr int64_t kLastSeenResolution = 10;

absl::Status NotFound(const std::string& name) {
  return absl::NotFoundError(
      absl::StrCat("gateway \"", name, "\" not found (wardenctl gateways list shows them)"));
}

absl::StatusOr<std::string> AddToken(Database& db, int64_t gateway_id, int64_t now) {
  std::string token = crypto::GenerateToken(crypto::kGatewayTokenPrefix);
  ASSIGN_OR_RETURN(auto ins, db.Prepare("INSERT INTO gateway_tokens (gateway_id, token_hash, "
                                        "created_at) VALUES (?, ?, ?)"));
  RETURN_IF_ERROR(ins.Bind(1, gateway_id).Bind(2, crypto::HashToken(token)).Bind(3, now).Run());
  return token;
}

}  // namespace

absl::StatusOr<v1::GatewayInfo> GatewayStore::InfoLocked(const std::string& name) {
  ASSIGN_OR_RETURN(auto stmt,
                   db_.Prepare("SELECT g.created_at, g.last_seen, "
                               "(SELECT count(*) FROM gateway_tokens t WHERE t.gateway_id = g.id "
                               " AND (t.expires_at = 0 OR t.expires_at > ?1)), "
                               "(SELECT max(t.expires_at) FROM gateway_tokens t WHERE "
                               " t.gateway_id = g.id AND t.expires_at > ?1) "
                               "FROM gateways g WHERE g.name = ?2"));
  stmt.Bind(1, NowUnix()).Bind(2, name);
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return NotFound(name);
  v1::GatewayInfo info;
  info.set_name(name);
  info.set_created_unix(stmt.Int(0));
  info.set_last_seen_unix(stmt.Int(1));
  info.set_tokens(static_cast<int32_t>(stmt.Int(2)));
  info.set_previous_token_expires_unix(stmt.Int(3));
  return info;
}

absl::StatusOr<std::pair<v1::GatewayInfo, std::string>> GatewayStore::Create(
    const std::string& name) {
  std::lock_guard<std::mutex> lock(db_.mu());
  Database::Tx tx(db_);
  RETURN_IF_ERROR(tx.begin_status());
  int64_t now = NowUnix();
  ASSIGN_OR_RETURN(auto ins, db_.Prepare("INSERT INTO gateways (name, created_at) VALUES (?, ?)"));
  absl::Status st = ins.Bind(1, name).Bind(2, now).Run();
  if (absl::IsAlreadyExists(st)) {
    return absl::AlreadyExistsError(
        absl::StrCat("gateway \"", name,
                     "\" already exists (a new token: wardenctl gateways rotate ", name, ")"));
  }
  RETURN_IF_ERROR(st);
  ASSIGN_OR_RETURN(std::string token, AddToken(db_, db_.LastInsertId(), now));
  ASSIGN_OR_RETURN(v1::GatewayInfo info, InfoLocked(name));
  RETURN_IF_ERROR(tx.Commit());
  return std::make_pair(std::move(info), std::move(token));
}

absl::StatusOr<std::vector<v1::GatewayInfo>> GatewayStore::List() {
  std::lock_guard<std::mutex> lock(db_.mu());
  std::vector<std::string> names;
  {
    ASSIGN_OR_RETURN(auto stmt, db_.Prepare("SELECT name FROM gateways ORDER BY name"));
    for (;;) {
      ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      names.push_back(stmt.Text(0));
    }
  }
  std::vector<v1::GatewayInfo> out;
  for (const auto& n : names) {
    ASSIGN_OR_RETURN(v1::GatewayInfo info, InfoLocked(n));
    out.push_back(std::move(info));
  }
  return out;
}

absl::StatusOr<std::pair<v1::GatewayInfo, std::string>> GatewayStore::Rotate(
    const std::string& name, int64_t grace_seconds) {
  std::lock_guard<std::mutex> lock(db_.mu());
  Database::Tx tx(db_);
  RETURN_IF_ERROR(tx.begin_status());
  int64_t now = NowUnix();
  ASSIGN_OR_RETURN(auto find, db_.Prepare("SELECT id FROM gateways WHERE name = ?"));
  find.Bind(1, name);
  ASSIGN_OR_RETURN(bool row, find.Step());
  if (!row) return NotFound(name);
  const int64_t id = find.Int(0);
  // Older tokens end at the end of the grace period, or keep the earlier end they have.
  ASSIGN_OR_RETURN(auto expire,
                   db_.Prepare("UPDATE gateway_tokens SET expires_at = ?1 WHERE gateway_id = ?2 "
                               "AND (expires_at = 0 OR expires_at > ?1)"));
  RETURN_IF_ERROR(expire.Bind(1, now + std::max<int64_t>(grace_seconds, 0)).Bind(2, id).Run());
  ASSIGN_OR_RETURN(auto purge, db_.Prepare("DELETE FROM gateway_tokens WHERE gateway_id = ? AND "
                                           "expires_at != 0 AND expires_at <= ?"));
  RETURN_IF_ERROR(purge.Bind(1, id).Bind(2, now).Run());
  ASSIGN_OR_RETURN(std::string token, AddToken(db_, id, now));
  ASSIGN_OR_RETURN(v1::GatewayInfo info, InfoLocked(name));
  RETURN_IF_ERROR(tx.Commit());
  return std::make_pair(std::move(info), std::move(token));
}

absl::Status GatewayStore::Revoke(const std::string& name) {
  std::lock_guard<std::mutex> lock(db_.mu());
  ASSIGN_OR_RETURN(auto stmt, db_.Prepare("DELETE FROM gateways WHERE name = ?"));
  RETURN_IF_ERROR(stmt.Bind(1, name).Run());
  if (db_.Changes() == 0) return NotFound(name);
  return absl::OkStatus();
}

absl::StatusOr<std::string> GatewayStore::Authenticate(const std::string& token) {
  std::lock_guard<std::mutex> lock(db_.mu());
  int64_t now = NowUnix();
  ASSIGN_OR_RETURN(auto stmt,
                   db_.Prepare("SELECT g.id, g.name, g.last_seen FROM gateway_tokens t JOIN "
                               "gateways g ON g.id = t.gateway_id WHERE t.token_hash = ? AND "
                               "(t.expires_at = 0 OR t.expires_at > ?)"));
  stmt.Bind(1, crypto::HashToken(token)).Bind(2, now);
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) {
    return absl::UnauthenticatedError(
        "gateway credential rejected: the gateway's --token-file must hold a token from "
        "wardenctl gateways create (or rotate) that was not revoked or replaced");
  }
  std::string name = stmt.Text(1);
  if (now - stmt.Int(2) >= kLastSeenResolution) {
    const int64_t id = stmt.Int(0);
    ASSIGN_OR_RETURN(auto touch, db_.Prepare("UPDATE gateways SET last_seen = ? WHERE id = ?"));
    RETURN_IF_ERROR(touch.Bind(1, now).Bind(2, id).Run());
  }
  return name;
}

}  // namespace warden::store
