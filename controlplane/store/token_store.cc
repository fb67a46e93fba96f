#include "controlplane/store/token_store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/crypto/token.h"
#include "common/util/status_macros.h"

namespace warden::store {

namespace {

constexpr char kSelect[] =
    "SELECT t.public_id, i.name, t.groups, t.created_at, t.expires_at, t.revoked_at "
    "FROM access_tokens t JOIN identities i ON i.id = t.identity_id ";

std::string StatusOf(int64_t expires, int64_t revoked, int64_t now) {
  if (revoked != 0) return "revoked";
  if (expires <= now) return "expired";
  return "active";
}

std::vector<std::string> SplitGroups(const std::string& joined) {
  return absl::StrSplit(joined, ',', absl::SkipEmpty());
}

}  // namespace

absl::StatusOr<IssuedToken> TokenStore::Create(const std::string& identity,
                                               const std::vector<std::string>& groups,
                                               int64_t ttl_seconds) {
  IssuedToken out;
  out.token = crypto::GenerateToken(crypto::kAccessTokenPrefix);
  int64_t now = NowUnix();
  v1::TokenInfo& info = out.info;
  info.set_id(crypto::GeneratePublicId("tok_"));
  info.set_identity(identity);
  for (const auto& g : groups) info.add_groups(g);
  info.set_created_unix(now);
  info.set_expires_unix(now + ttl_seconds);
  info.set_status("active");

  std::lock_guard<std::mutex> lock(db_.mu());
  Database::Tx tx(db_);
  RETURN_IF_ERROR(tx.begin_status());
  ASSIGN_OR_RETURN(auto ins, db_.Prepare("INSERT INTO identities (name, created_at) VALUES (?, ?) "
                                         "ON CONFLICT (name) DO NOTHING"));
  RETURN_IF_ERROR(ins.Bind(1, identity).Bind(2, now).Run());
  ASSIGN_OR_RETURN(auto tok, db_.Prepare("INSERT INTO access_tokens (public_id, identity_id, "
                                         "token_hash, groups, created_at, expires_at) SELECT ?, "
                                         "id, ?, ?, ?, ? FROM identities WHERE name = ?"));
  RETURN_IF_ERROR(tok.Bind(1, info.id())
                      .Bind(2, crypto::HashToken(out.token))
                      .Bind(3, absl::StrJoin(groups, ","))
                      .Bind(4, now)
                      .Bind(5, info.expires_unix())
                      .Bind(6, identity)
                      .Run());
  RETURN_IF_ERROR(tx.Commit());
  return out;
}

absl::StatusOr<std::vector<v1::TokenInfo>> TokenStore::Query(const std::string& where,
                                                             const std::string& arg) {
  std::lock_guard<std::mutex> lock(db_.mu());
  ASSIGN_OR_RETURN(auto stmt,
                   db_.Prepare(absl::StrCat(kSelect, where, " ORDER BY t.created_at, t.id")));
  if (!arg.empty()) stmt.Bind(1, arg);
  int64_t now = NowUnix();
  std::vector<v1::TokenInfo> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    v1::TokenInfo& t = out.emplace_back();
    t.set_id(stmt.Text(0));
    t.set_identity(stmt.Text(1));
    for (auto& g : SplitGroups(stmt.Text(2))) t.add_groups(g);
    t.set_created_unix(stmt.Int(3));
    t.set_expires_unix(stmt.Int(4));
    t.set_revoked_unix(stmt.Int(5));
    t.set_status(StatusOf(t.expires_unix(), t.revoked_unix(), now));
  }
  return out;
}

absl::StatusOr<std::vector<v1::TokenInfo>> TokenStore::List(const std::string& identity) {
  return identity.empty() ? Query("", "") : Query("WHERE i.name = ?", identity);
}

absl::StatusOr<v1::TokenInfo> TokenStore::Revoke(const std::string& public_id) {
  {
    std::lock_guard<std::mutex> lock(db_.mu());
    ASSIGN_OR_RETURN(auto stmt, db_.Prepare("UPDATE access_tokens SET revoked_at = ? WHERE "
                                            "public_id = ? AND revoked_at = 0"));
    RETURN_IF_ERROR(stmt.Bind(1, NowUnix()).Bind(2, public_id).Run());
  }
  ASSIGN_OR_RETURN(auto rows, Query("WHERE t.public_id = ?", public_id));
  if (rows.empty()) {
    return absl::NotFoundError(
        absl::StrCat("token \"", public_id, "\" not found (wardenctl tokens list shows ids)"));
  }
  return rows.front();
}

absl::StatusOr<Principal> TokenStore::Authenticate(const std::string& token) {
  std::lock_guard<std::mutex> lock(db_.mu());
  ASSIGN_OR_RETURN(auto stmt, db_.Prepare(absl::StrCat(kSelect, "WHERE t.token_hash = ?")));
  stmt.Bind(1, crypto::HashToken(token));
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return absl::UnauthenticatedError("access token not recognised");
  int64_t now = NowUnix();
  std::string status = StatusOf(stmt.Int(4), stmt.Int(5), now);
  if (status != "active") {
    // Not the token's id: the error reaches whoever presented the token.
    return absl::UnauthenticatedError(
        absl::StrCat("access token is ", status,
                     ": ask an administrator for a new one (wardenctl tokens create)"));
  }
  return Principal{stmt.Text(1), SplitGroups(stmt.Text(2)), stmt.Text(0), stmt.Int(4)};
}

namespace {

// Tokens that may still administer: revoking the last one would lock everybody out.
constexpr char kWorkingAdmins[] =
    "SELECT count(*) FROM admin_tokens WHERE revoked_at = 0 AND (',' || roles || ',') LIKE "
    "'%,admin,%'";

constexpr char kSelectAdmin[] =
    "SELECT public_id, name, created_at, revoked_at, identity, groups, roles, email FROM "
    "admin_tokens ";

v1::AdminTokenInfo AdminInfoOf(Statement& stmt) {
  v1::AdminTokenInfo t;
  t.set_id(stmt.Text(0));
  t.set_name(stmt.Text(1));
  t.set_created_unix(stmt.Int(2));
  t.set_revoked_unix(stmt.Int(3));
  t.set_identity(stmt.Text(4));
  for (std::string& g : SplitGroups(stmt.Text(5))) t.add_groups(std::move(g));
  for (std::string& r : SplitGroups(stmt.Text(6))) t.add_roles(std::move(r));
  t.set_email(stmt.Text(7));
  return t;
}

}  // namespace

absl::StatusOr<int64_t> AdminTokenStore::CountActive() {
  std::lock_guard<std::mutex> lock(db_.mu());
  ASSIGN_OR_RETURN(auto stmt, db_.Prepare(kWorkingAdmins));
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  return row ? stmt.Int(0) : 0;
}

absl::StatusOr<std::string> AdminTokenStore::Create(const std::string& name) {
  v1::AdminTokenInfo spec;
  spec.set_name(name);
  spec.add_roles("admin");
  ASSIGN_OR_RETURN(auto created, CreateListed(spec));
  return std::move(created.second);
}

absl::StatusOr<std::pair<v1::AdminTokenInfo, std::string>> AdminTokenStore::CreateListed(
    const v1::AdminTokenInfo& spec) {
  std::string token = crypto::GenerateToken(crypto::kAdminTokenPrefix);
  v1::AdminTokenInfo info = spec;
  info.set_id(crypto::GeneratePublicId("adm_"));
  info.set_created_unix(NowUnix());
  info.set_revoked_unix(0);
  std::lock_guard<std::mutex> lock(db_.mu());
  ASSIGN_OR_RETURN(auto stmt, db_.Prepare("INSERT INTO admin_tokens (public_id, name, token_hash, "
                                          "created_at, identity, groups, roles, email) VALUES (?, "
                                          "?, ?, ?, ?, ?, ?, ?)"));
  RETURN_IF_ERROR(stmt.Bind(1, info.id())
                      .Bind(2, info.name())
                      .Bind(3, crypto::HashToken(token))
                      .Bind(4, info.created_unix())
                      .Bind(5, info.identity())
                      .Bind(6, absl::StrJoin(info.groups(), ","))
                      .Bind(7, absl::StrJoin(info.roles(), ","))
                      .Bind(8, info.email())
                      .Run());
  return std::make_pair(std::move(info), std::move(token));
}

absl::StatusOr<std::vector<v1::AdminTokenInfo>> AdminTokenStore::List() {
  std::lock_guard<std::mutex> lock(db_.mu());
  ASSIGN_OR_RETURN(auto stmt,
                   db_.Prepare(absl::StrCat(kSelectAdmin, "ORDER BY created_at, public_id")));
  std::vector<v1::AdminTokenInfo> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    out.push_back(AdminInfoOf(stmt));
  }
  return out;
}

absl::StatusOr<v1::AdminTokenInfo> AdminTokenStore::Revoke(const std::string& id) {
  std::lock_guard<std::mutex> lock(db_.mu());
  Database::Tx tx(db_);
  RETURN_IF_ERROR(tx.begin_status());
  ASSIGN_OR_RETURN(auto find, db_.Prepare(absl::StrCat(kSelectAdmin, "WHERE public_id = ?")));
  find.Bind(1, id);
  ASSIGN_OR_RETURN(bool row, find.Step());
  if (!row) {
    return absl::NotFoundError(
        absl::StrCat("admin token ", id, " not found (wardenctl admin-tokens list)"));
  }
  v1::AdminTokenInfo info = AdminInfoOf(find);
  if (info.revoked_unix() != 0) return info;  // revoking twice changes nothing
  if (std::find(info.roles().begin(), info.roles().end(), "admin") != info.roles().end()) {
    ASSIGN_OR_RETURN(auto count, db_.Prepare(kWorkingAdmins));
    ASSIGN_OR_RETURN(bool counted, count.Step());
    if (counted && count.Int(0) <= 1) {
      return absl::FailedPreconditionError(
          absl::StrCat("admin token ", id,
                       " is the last working one with role admin: create another first "
                       "(wardenctl admin-tokens create NAME)"));
    }
  }
  info.set_revoked_unix(NowUnix());
  ASSIGN_OR_RETURN(auto upd,
                   db_.Prepare("UPDATE admin_tokens SET revoked_at = ? WHERE public_id = ?"));
  RETURN_IF_ERROR(upd.Bind(1, info.revoked_unix()).Bind(2, id).Run());
  RETURN_IF_ERROR(tx.Commit());
  return info;
}

absl::StatusOr<v1::AdminTokenInfo> AdminTokenStore::Authenticate(const std::string& token) {
  std::lock_guard<std::mutex> lock(db_.mu());
  ASSIGN_OR_RETURN(auto stmt, db_.Prepare(absl::StrCat(kSelectAdmin, "WHERE token_hash = ?")));
  stmt.Bind(1, crypto::HashToken(token));
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return absl::UnauthenticatedError("admin token not recognised");
  v1::AdminTokenInfo info = AdminInfoOf(stmt);
  if (info.revoked_unix() != 0) return absl::UnauthenticatedError("admin token has been revoked");
  return info;
}

}  // namespace warden::store
